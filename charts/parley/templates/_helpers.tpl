{{/* Names and labels. */}}
{{- define "parley.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "parley.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "parley.selectorLabels" -}}
app.kubernetes.io/name: {{ include "parley.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "parley.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "parley.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "parley.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "parley.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Parley image, pinned: an empty tag means the chart's appVersion (values.schema.json refuses latest). */}}
{{- define "parley.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The Serve application config: services/serving/serve_config.yaml (kept byte-equal in files/ by
tests/chart) with ray.serve.settingsOverrides deep-merged over the app's settings and
ray.serve.deploymentOverrides (by deployment name) over its `deployments` entries. */}}
{{- define "parley.serveConfig" -}}
{{- $cfg := .Files.Get "files/serve_config.yaml" | fromYaml -}}
{{- $app := index $cfg.applications 0 -}}
{{- $_ := mergeOverwrite $app.args.settings (deepCopy .Values.ray.serve.settingsOverrides) -}}
{{- $overrides := .Values.ray.serve.deploymentOverrides -}}
{{- range $d := $app.deployments -}}
{{- with (get $overrides $d.name) -}}
{{- $_ := mergeOverwrite $d (deepCopy .) -}}
{{- end -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}

{{- define "parley.serveAppName" -}}
{{- $cfg := .Files.Get "files/serve_config.yaml" | fromYaml -}}
{{- (index $cfg.applications 0).name -}}
{{- end -}}

{{/* Air gap, on every Parley container: the variables of models/offline.py (no hub downloads, pyannote and
OpenTelemetry metrics off) plus Ray's usage stats, which are a per-node setting. */}}
{{- define "parley.offlineEnv" -}}
- name: HF_HUB_OFFLINE
  value: "1"
- name: TRANSFORMERS_OFFLINE
  value: "1"
- name: HF_DATASETS_OFFLINE
  value: "1"
- name: HF_HUB_DISABLE_TELEMETRY
  value: "1"
- name: PYANNOTE_METRICS_ENABLED
  value: "0"
- name: OTEL_SDK_DISABLED
  value: "true"
- name: OTEL_TRACES_EXPORTER
  value: none
- name: OTEL_METRICS_EXPORTER
  value: none
- name: OTEL_LOGS_EXPORTER
  value: none
- name: DO_NOT_TRACK
  value: "1"
- name: TOKENIZERS_PARALLELISM
  value: "false"
- name: RAY_USAGE_STATS_ENABLED
  value: "0"
{{- end -}}

{{/* PARLEY_DATABASE__URL from a Secret reference only. Bundled: the password comes from its Secret and is
expanded into the DSN by the kubelet ($(VAR) refers to an earlier variable of the same container). */}}
{{- define "parley.databaseEnv" -}}
{{- if eq .Values.database.mode "bundled" }}
- name: PARLEY_DB_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ required "database.bundled.existingSecret is required with database.mode=bundled" .Values.database.bundled.existingSecret }}
      key: {{ .Values.database.bundled.passwordKey }}
- name: PARLEY_DATABASE__URL
  value: {{ printf "postgresql+psycopg://%s:$(PARLEY_DB_PASSWORD)@%s-postgresql:5432/%s" .Values.database.bundled.user (include "parley.fullname" .) .Values.database.bundled.name | quote }}
{{- else }}
- name: PARLEY_DATABASE__URL
  valueFrom:
    secretKeyRef:
      name: {{ required "database.external.existingSecret is required with database.mode=external" .Values.database.external.existingSecret }}
      key: {{ .Values.database.external.key }}
{{- end }}
{{- end -}}

{{/* Settings shared by the gateway and the job workers: where the Serve app runs and how to find it. */}}
{{- define "parley.appEnv" -}}
{{ include "parley.offlineEnv" . }}
- name: PARLEY_PROFILE
  value: {{ .Values.profile | quote }}
{{ include "parley.databaseEnv" . | trim }}
- name: PARLEY_MODELS__DATA_DIR
  value: {{ .Values.models.mountPath | quote }}
- name: PARLEY_SERVER__DATA_DIR
  value: {{ .Values.serverData.mountPath | quote }}
- name: PARLEY_SERVING__BACKEND
  value: ray
- name: PARLEY_SERVING__RAY_ADDRESS
  value: {{ printf "ray://%s-head-svc:%d" (include "parley.fullname" .) (int .Values.ray.clientPort) | quote }}
- name: PARLEY_SERVING__DEPLOY
  value: "false"
- name: PARLEY_SERVING__APP_NAME
  value: {{ include "parley.serveAppName" . | quote }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Model weights: a read-only PersistentVolumeClaim, or an emptyDir filled by the init container below. */}}
{{- define "parley.modelsVolume" -}}
- name: models
{{- if eq .Values.models.source "pvc" }}
  persistentVolumeClaim:
    claimName: {{ .Values.models.pvc.existingClaim }}
    readOnly: true
{{- else }}
  emptyDir:
    sizeLimit: {{ .Values.models.image.sizeLimit }}
{{- end }}
{{- end -}}

{{- define "parley.modelsMount" -}}
- name: models
  mountPath: {{ .Values.models.mountPath }}
  readOnly: {{ eq .Values.models.source "pvc" }}
{{- end -}}

{{- define "parley.modelsInit" -}}
{{- if eq .Values.models.source "image" }}
- name: models
  image: {{ printf "%s:%s" .Values.models.image.repository (default .Chart.AppVersion .Values.models.image.tag) }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command: ["sh", "-c", {{ printf "cp -a %s/. %s/" .Values.models.image.path .Values.models.mountPath | quote }}]
  securityContext:
    {{- toYaml .Values.securityContext | nindent 4 }}
  resources:
    requests: {cpu: 100m, memory: 128Mi}
    limits: {memory: 512Mi}
  volumeMounts:
    - name: models
      mountPath: {{ .Values.models.mountPath }}
{{- end }}
{{- end -}}

{{/* Uploaded audio: one ReadWriteMany volume shared by the gateway, the workers and the Ray nodes. */}}
{{- define "parley.serverDataVolume" -}}
- name: server-data
  persistentVolumeClaim:
    claimName: {{ required "serverData.existingClaim is required" .Values.serverData.existingClaim }}
{{- end -}}

{{- define "parley.serverDataMount" -}}
- name: server-data
  mountPath: {{ .Values.serverData.mountPath }}
{{- end -}}
