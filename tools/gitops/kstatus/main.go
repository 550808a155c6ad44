// Command kstatus prints what sigs.k8s.io/cli-utils' kstatus -- the library Flux's health checks,
// kpt and cli-utils use -- computes for Kubernetes objects, so that the tests judge awsip's status
// with the real library rather than with a reading of its documentation.
//
// Input on stdin: one JSON object, or a list ({"items": [...]}, as `kubectl get -o json` prints).
// Output on stdout: one JSON line per object, in input order:
//
//	{"namespace": "ns", "name": "n", "status": "Current", "message": "..."}
//
// An object kstatus cannot judge gives {"error": "..."} on its line; bad input exits 2.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type verdict struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Status    string `json:"status,omitempty"`
	Message   string `json:"message,omitempty"`
	Error     string `json:"error,omitempty"`
}

func main() {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	// apimachinery's decoder keeps whole numbers as int64, as client-go does for live objects;
	// kstatus reads generation and observedGeneration as int64 and refuses float64.
	var decoded map[string]interface{}
	if err := utiljson.Unmarshal(data, &decoded); err != nil {
		fail(err)
	}
	objects := []map[string]interface{}{decoded}
	if items, ok := decoded["items"].([]interface{}); ok {
		objects = objects[:0]
		for _, item := range items {
			object, ok := item.(map[string]interface{})
			if !ok {
				fail(fmt.Errorf("an item is not an object"))
			}
			objects = append(objects, object)
		}
	}
	out := json.NewEncoder(os.Stdout)
	for _, object := range objects {
		u := &unstructured.Unstructured{Object: object}
		line := verdict{Namespace: u.GetNamespace(), Name: u.GetName()}
		result, err := status.Compute(u)
		if err != nil {
			line.Error = err.Error()
		} else {
			line.Status, line.Message = result.Status.String(), result.Message
		}
		if err := out.Encode(line); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "kstatus:", err)
	os.Exit(2)
}
