{{/*
Chart name, truncated to the 63 characters Kubernetes allows in a name.
*/}}
{{- define "llm-gateway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name: <release>-<chart>, or the release name alone when it already contains the chart name.
*/}}
{{- define "llm-gateway.fullname" -}}
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

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "llm-gateway.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every resource.
*/}}
{{- define "llm-gateway.labels" -}}
helm.sh/chart: {{ include "llm-gateway.chart" . }}
{{ include "llm-gateway.selectorLabels" . }}
app.kubernetes.io/version: {{ (default .Chart.AppVersion .Values.image.tag) | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: llm-gateway
{{- end }}

{{/*
Selector labels: stable over upgrades (never add the version here).
*/}}
{{- define "llm-gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "llm-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
ServiceAccount name.
*/}}
{{- define "llm-gateway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "llm-gateway.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Image reference: repository@digest, or repository:tag (tag defaults to appVersion).
*/}}
{{- define "llm-gateway.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) }}
{{- end }}
{{- end }}

{{/*
Name of the ConfigMap holding application.yml.
*/}}
{{- define "llm-gateway.configMapName" -}}
{{- default (printf "%s-config" (include "llm-gateway.fullname" .)) .Values.existingConfigMap }}
{{- end }}

{{/*
The application config rendered from values (the ConfigMap's application.yml).
*/}}
{{- define "llm-gateway.applicationYaml" -}}
{{- if .Values.config }}
{{- toYaml .Values.config }}
{{- else -}}
{}
{{- end }}
{{- end }}

{{/*
Name of the Secret with the provider keys: the existing one, or the one the chart creates.
*/}}
{{- define "llm-gateway.secretName" -}}
{{- default (printf "%s-provider-keys" (include "llm-gateway.fullname" .)) .Values.providerKeys.existingSecret }}
{{- end }}

{{/*
True (non-empty) when the actuator listens on its own port.
*/}}
{{- define "llm-gateway.separateManagementPort" -}}
{{- if and .Values.containerPorts.management (ne (int .Values.containerPorts.management) (int .Values.containerPorts.http)) }}true{{- end }}
{{- end }}

{{/*
Name of the container port serving the actuator (probes, /actuator/prometheus).
*/}}
{{- define "llm-gateway.managementPortName" -}}
{{- if include "llm-gateway.separateManagementPort" . }}management{{ else }}http{{ end }}
{{- end }}

{{/*
Seconds Kubernetes waits before killing a pod: preStop sleep + shutdown grace + margin.
*/}}
{{- define "llm-gateway.terminationGracePeriodSeconds" -}}
{{- add (int .Values.shutdown.preStopSleepSeconds) (int .Values.shutdown.gracePeriodSeconds) (int .Values.shutdown.marginSeconds) }}
{{- end }}

{{/*
Namespace of an optional monitoring resource: its own setting or the release namespace.
*/}}
{{- define "llm-gateway.namespace" -}}
{{- default .root.Release.Namespace .namespace }}
{{- end }}
