{{/* Names ----------------------------------------------------------------------------------- */}}

{{- define "awsip.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "awsip.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "awsip.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "awsip.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "awsip.tenancyConfigMapName" -}}
{{- printf "%s-tenancy" (include "awsip.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "awsip.metricsServiceName" -}}
{{- printf "%s-metrics" (include "awsip.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels ---------------------------------------------------------------------------------- */}}

{{- define "awsip.selectorLabels" -}}
app.kubernetes.io/name: {{ include "awsip.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "awsip.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "awsip.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: awsip
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Image ----------------------------------------------------------------------------------- */}}

{{- define "awsip.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Mode ------------------------------------------------------------------------------------ */}}

{{/* "true" when awsip watches all namespaces (no watchNamespaces list). */}}
{{- define "awsip.clusterWide" -}}
{{- if not .Values.watchNamespaces }}true{{ end }}
{{- end }}

{{/* The `awsip run` arguments (the image's entrypoint is `awsip run`). */}}
{{- define "awsip.args" -}}
{{- if include "awsip.clusterWide" . }}
- --all-namespaces
{{- else }}
{{- range .Values.watchNamespaces }}
- --namespace={{ . }}
{{- end }}
{{- end }}
{{- if .Values.highAvailability.enabled }}
- --peering={{ .Values.highAvailability.peeringName }}
- --priority=$(AWSIP_PEERING_PRIORITY)
{{- else }}
- --standalone
{{- end }}
- --liveness=http://0.0.0.0:{{ .Values.liveness.port }}/healthz
{{- if eq .Values.logLevel "verbose" }}
- --verbose
{{- else if eq .Values.logLevel "debug" }}
- --debug
{{- end }}
- --log-format={{ .Values.logFormat }}
{{- if .Values.metrics.enabled }}
- --metrics-port={{ .Values.metrics.port }}
{{- end }}
- --sts-calls-per-second={{ .Values.aws.stsCallsPerSecond }}
- --account-calls-per-second={{ .Values.aws.accountCallsPerSecond }}
{{- if .Values.aws.callsPerSecond }}
- --aws-calls-per-second={{ .Values.aws.callsPerSecond }}
{{- end }}
- --workers={{ .Values.aws.workers }}
{{- if .Values.aws.namespaceWorkers }}
- --namespace-workers={{ .Values.aws.namespaceWorkers }}
{{- end }}
- --policy-check-seconds={{ .Values.aws.policyCheckSeconds }}
{{- if .Values.aws.sessionTags }}
- --session-tags
{{- end }}
{{- if .Values.tenancy.rules }}
- --tenancy-configmap={{ .Release.Namespace }}/{{ include "awsip.tenancyConfigMapName" . }}
{{- end }}
{{- if .Values.clusterAPI.roleIdentities.enabled }}
- --cluster-api-identities
{{- end }}
{{- range .Values.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end }}

{{/* The restricted pod template shared by the Deployment and the StatefulSet. */}}
{{- define "awsip.podTemplate" -}}
metadata:
  labels:
    {{- include "awsip.selectorLabels" . | nindent 4 }}
    app.kubernetes.io/component: operator
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    kubectl.kubernetes.io/default-container: awsip
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "awsip.serviceAccountName" . }}
  # The operator talks to the Kubernetes API with this token; nothing else in the pod does.
  automountServiceAccountToken: true
  enableServiceLinks: false
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  terminationGracePeriodSeconds: 30
  containers:
  - name: awsip
    image: {{ include "awsip.image" . }}
    imagePullPolicy: {{ .Values.image.pullPolicy }}
    args:
      {{- include "awsip.args" . | trim | nindent 6 }}
    env:
    # Kopf's peering identity.
    - name: POD_ID
      valueFrom:
        fieldRef:
          fieldPath: metadata.name
    {{- if .Values.highAvailability.enabled }}
    # A distinct Kopf priority per replica: the StatefulSet pod index (0, 1, ...).
    - name: AWSIP_PEERING_PRIORITY
      valueFrom:
        fieldRef:
          fieldPath: metadata.labels['apps.kubernetes.io/pod-index']
    {{- end }}
    {{- with .Values.aws.region }}
    - name: AWS_REGION
      value: {{ . | quote }}
    - name: AWS_DEFAULT_REGION
      value: {{ . | quote }}
    {{- end }}
    - name: AWS_STS_REGIONAL_ENDPOINTS
      value: regional
    {{- with .Values.extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    ports:
    - name: liveness
      containerPort: {{ .Values.liveness.port }}
      protocol: TCP
    {{- if .Values.metrics.enabled }}
    - name: metrics
      containerPort: {{ .Values.metrics.port }}
      protocol: TCP
    {{- end }}
    livenessProbe:
      httpGet:
        path: /healthz
        port: liveness
      initialDelaySeconds: 10
      periodSeconds: {{ .Values.liveness.periodSeconds }}
      timeoutSeconds: {{ .Values.liveness.timeoutSeconds }}
      failureThreshold: {{ .Values.liveness.failureThreshold }}
    resources:
      {{- toYaml .Values.resources | nindent 6 }}
    securityContext:
      {{- toYaml .Values.securityContext | nindent 6 }}
    volumeMounts:
    - name: tmp
      mountPath: /tmp
  volumes:
  # The root filesystem is read-only; Python and boto3 may still want a scratch directory.
  - name: tmp
    emptyDir:
      sizeLimit: 64Mi
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- if .Values.affinity }}
  affinity:
    {{- toYaml .Values.affinity | nindent 4 }}
  {{- else if .Values.highAvailability.enabled }}
  affinity:
    # Keep the replicas on different nodes where possible.
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              {{- include "awsip.selectorLabels" . | nindent 14 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
