// Command argocdhealth runs an Argo CD health check (health.lua) the way Argo CD's application
// controller runs it: in github.com/yuin/gopher-lua (Lua 5.1), with the object as the global
// `obj`, a one-second budget, and only the libraries Argo CD opens, so that the tests judge
// gitops/argocd/.../health.lua under the interpreter that will run it, not under lupa.
//
// Argo CD (util/lua) opens `package`, `base`, `table` and a safe `os` (time and date only) for
// every script. The rest of Lua's standard library (string, math, io, ...) is opened only for
// its built-in checks and for overrides an administrator marks with
// resource.customizations.useOpenLibs.<group_kind>: "true". A health check shipped through
// argocd-cm -- as awsip's is -- runs without them unless -open-libs says otherwise.
//
// Usage: argocdhealth [-open-libs] health.lua < objects.json
// Input: one JSON object, or a list ({"items": [...]}). Output: one JSON line per object,
//
//	{"namespace": "ns", "name": "n", "status": "Healthy", "message": "..."}
//
// or {"error": "..."} when the script fails or returns something Argo CD refuses.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	luajson "layeh.com/gopher-json"
)

// The health statuses Argo CD accepts from a script; any other becomes Unknown.
var validStatuses = map[string]bool{
	"Unknown": true, "Progressing": true, "Suspended": true, "Healthy": true, "Degraded": true, "Missing": true,
}

type verdict struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Status    string `json:"status,omitempty"`
	Message   string `json:"message,omitempty"`
	Error     string `json:"error,omitempty"`
}

func main() {
	openLibs := flag.Bool("open-libs", false, "open Lua's whole standard library (resource.customizations.useOpenLibs)")
	flag.Parse()
	if flag.NArg() != 1 {
		fail(fmt.Errorf("usage: argocdhealth [-open-libs] health.lua < objects.json"))
	}
	script, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fail(err)
	}
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	// Whole numbers as int64 and the rest as float64, as in the unstructured objects of Argo CD's
	// live-state cache.
	var decoded map[string]interface{}
	if err := utiljson.Unmarshal(data, &decoded); err != nil {
		fail(err)
	}
	objects := []map[string]interface{}{decoded}
	if items, ok := decoded["items"].([]interface{}); ok && decoded["kind"] != nil && strings.HasSuffix(fmt.Sprint(decoded["kind"]), "List") {
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
		line := verdict{Namespace: nested(object, "namespace"), Name: nested(object, "name")}
		status, message, err := health(string(script), object, *openLibs)
		if err != nil {
			line.Error = err.Error()
		} else {
			line.Status, line.Message = status, message
		}
		if err := out.Encode(line); err != nil {
			fail(err)
		}
	}
}

func nested(object map[string]interface{}, key string) string {
	metadata, _ := object["metadata"].(map[string]interface{})
	value, _ := metadata[key].(string)
	return value
}

// health evaluates the script for one object, as Argo CD's ExecuteHealthLua does.
func health(script string, object map[string]interface{}, openLibs bool) (string, string, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: !openLibs})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.OsLibName, openSafeOs},
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return "", "", err
		}
	}
	l.PreloadModule(lua.OsLibName, func(l *lua.LState) int {
		l.Push(l.SetFuncs(l.NewTable(), safeOsFunctions))
		return 1
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, object))
	if err := l.DoString(script); err != nil {
		return "", "", err
	}
	returned := l.Get(-1)
	if returned.Type() != lua.LTTable {
		return "", "", fmt.Errorf("expect table output from Lua script, not %s", returned.Type())
	}
	// Through JSON, as Argo CD reads the table (an empty table encodes as [] and fails here too).
	encoded, err := luajson.Encode(returned)
	if err != nil {
		return "", "", err
	}
	var result struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(encoded, &result); err != nil {
		return "", "", err
	}
	if !validStatuses[result.Status] {
		return "Unknown", "Lua returned an invalid health status", nil
	}
	return result.Status, result.Message, nil
}

// toLua converts a decoded JSON value the way Argo CD hands objects to Lua: numbers become
// LNumber (float64), arrays 1-based tables, objects tables with string keys, null nil.
func toLua(l *lua.LState, value interface{}) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case string:
		return lua.LString(v)
	case int64:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	case []interface{}:
		table := l.CreateTable(len(v), 0)
		for _, item := range v {
			table.Append(toLua(l, item))
		}
		return table
	case map[string]interface{}:
		table := l.CreateTable(0, len(v))
		for key, item := range v {
			table.RawSetH(lua.LString(key), toLua(l, item))
		}
		return table
	}
	return lua.LNil
}

// The safe os library: only os.time and os.date, nothing that touches files, processes or the
// environment (Argo CD's own is a copy of gopher-lua's two functions).
var safeOsFunctions = map[string]lua.LGFunction{"time": osTime, "date": osDate}

func openSafeOs(l *lua.LState) int {
	l.Push(l.RegisterModule(lua.OsLibName, safeOsFunctions))
	return 1
}

func osTime(l *lua.LState) int {
	if l.GetTop() == 0 {
		l.Push(lua.LNumber(time.Now().Unix()))
		return 1
	}
	table := l.CheckTable(1)
	field := func(key string, fallback int) int {
		if n, ok := table.RawGetString(key).(lua.LNumber); ok {
			return int(n)
		}
		return fallback
	}
	t := time.Date(field("year", -1), time.Month(field("month", -1)), field("day", -1),
		field("hour", 12), field("min", 0), field("sec", 0), 0, time.Local)
	l.Push(lua.LNumber(t.Unix()))
	return 1
}

func osDate(l *lua.LState) int {
	t, format := time.Now(), "%c"
	if l.GetTop() >= 1 {
		format = l.CheckString(1)
		if strings.HasPrefix(format, "!") {
			t, format = t.UTC(), strings.TrimPrefix(format, "!")
		}
		if l.GetTop() >= 2 {
			t = time.Unix(l.CheckInt64(2), 0)
		}
	}
	if strings.HasPrefix(format, "*t") {
		table := l.NewTable()
		for key, value := range map[string]int{
			"year": t.Year(), "month": int(t.Month()), "day": t.Day(), "hour": t.Hour(),
			"min": t.Minute(), "sec": t.Second(), "wday": int(t.Weekday()) + 1,
		} {
			table.RawSetString(key, lua.LNumber(value))
		}
		l.Push(table)
		return 1
	}
	layouts := map[byte]string{
		'Y': "2006", 'm': "01", 'd': "02", 'H': "15", 'M': "04", 'S': "05", 'c': "02 Jan 06 15:04 MST",
		'F': "2006-01-02", 'T': "15:04:05", 'z': "-0700", 'Z': "MST",
	}
	var out strings.Builder
	for i := 0; i < len(format); i++ {
		if format[i] != '%' || i+1 == len(format) {
			out.WriteByte(format[i])
			continue
		}
		i++
		if layout, ok := layouts[format[i]]; ok {
			out.WriteString(t.Format(layout))
		} else {
			out.WriteByte('%')
			out.WriteByte(format[i])
		}
	}
	l.Push(lua.LString(out.String()))
	return 1
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "argocdhealth:", err)
	os.Exit(2)
}
