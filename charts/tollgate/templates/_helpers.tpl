{{/* Names, labels and the values both components share. */}}

{{- define "tollgate.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The namespace of every namespaced object: namespaceOverride, else the release's. */}}
{{- define "tollgate.namespace" -}}
{{- .Values.namespaceOverride | default .Release.Namespace -}}
{{- end -}}

{{/* A component's ServiceAccount name: (dict "root" $ "values" .Values.operator "default" "<fullname>-operator"). */}}
{{- define "tollgate.serviceAccountName" -}}
{{- if .values.serviceAccount.create -}}
{{- .values.serviceAccount.name | default .default -}}
{{- else -}}
{{- .values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/* Every object's labels: the standard ones, then commonLabels (which cannot override them). */}}
{{- define "tollgate.labels" -}}
{{- $standard := dict
  "app.kubernetes.io/name" .Chart.Name
  "app.kubernetes.io/instance" .Release.Name
  "app.kubernetes.io/version" .Chart.AppVersion
  "app.kubernetes.io/managed-by" .Release.Service
  "helm.sh/chart" (printf "%s-%s" .Chart.Name .Chart.Version) -}}
{{- merge $standard (.Values.commonLabels | default dict) | toYaml -}}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "operator") */}}
{{- define "tollgate.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* An image reference from (dict "image" .Values.image "global" .Values.global "defaultTag" "…"):
registry/repository:tag@digest, global.imageRegistry winning over the image's registry. */}}
{{- define "tollgate.imageRef" -}}
{{- $registry := .global.imageRegistry | default .image.registry -}}
{{- $tag := .image.tag | default .defaultTag -}}
{{- if $registry }}{{ $registry }}/{{ end }}{{ .image.repository }}
{{- if $tag }}:{{ $tag }}{{ end }}
{{- with .image.digest }}@{{ . }}{{ end -}}
{{- end -}}

{{- define "tollgate.image" -}}
{{- include "tollgate.imageRef" (dict "image" .Values.image "global" .Values.global "defaultTag" .Chart.AppVersion) -}}
{{- end -}}

{{- define "tollgate.redisImage" -}}
{{- include "tollgate.imageRef" (dict "image" .Values.redis.bundled.image "global" .Values.global "defaultTag" "") -}}
{{- end -}}

{{/* Every pod's pull secrets: global.imagePullSecrets then imagePullSecrets, names or {name: …}. */}}
{{- define "tollgate.imagePullSecrets" -}}
{{- $secrets := concat (.Values.global.imagePullSecrets | default list) .Values.imagePullSecrets -}}
{{- with $secrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ if kindIs "string" . }}{{ . }}{{ else }}{{ .name }}{{ end }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "tollgate.tokenServerName" -}}{{ include "tollgate.fullname" . }}-token-server{{- end -}}
{{- define "tollgate.operatorName" -}}{{ include "tollgate.fullname" . }}-operator{{- end -}}
{{- define "tollgate.redisName" -}}{{ include "tollgate.fullname" . }}-redis{{- end -}}
{{- define "tollgate.signingKeysSecret" -}}{{ include "tollgate.fullname" . }}-signing-keys{{- end -}}
{{- define "tollgate.registryKeysSecret" -}}{{ include "tollgate.fullname" . }}-registry-keys{{- end -}}

{{- define "tollgate.issuer" -}}
{{- if .Values.issuer -}}
{{- .Values.issuer -}}
{{- else -}}
{{- $https := ne .Values.tokenServer.tls.secretName "" -}}
{{- printf "%s://%s.%s.svc" (ternary "https" "http" $https) (include "tollgate.tokenServerName" .) (include "tollgate.namespace" .) -}}
{{- if ne (int .Values.tokenServer.service.port) (ternary 443 80 $https) }}:{{ .Values.tokenServer.service.port }}{{ end -}}
{{- end -}}
{{- end -}}

{{/* The namespaces the operator manages in namespaced mode: the listed ones plus the release's. */}}
{{- define "tollgate.namespaces" -}}
{{- $list := list (include "tollgate.namespace" .) -}}
{{- range .Values.rbac.namespaces }}{{ if not (has . $list) }}{{ $list = append $list . }}{{ end }}{{ end -}}
{{- join "," $list -}}
{{- end -}}

{{- define "tollgate.redisAuthSecret" -}}
{{- .Values.redis.bundled.auth.existingSecret | default (printf "%s-redis-auth" (include "tollgate.fullname" .)) -}}
{{- end -}}

{{/* The bundled Redis's ACL users, one `user` directive each (redis-server --user …), with
the passwords as $(VAR) references the kubelet expands from the auth Secret. The operator
may only write registry keys; the token server may only read them and read/write its state
keys (registry/registry-keys.ts, token-server/state/state-keys.ts); the default user may
only PING (the readiness probe). docs/security.md lists the same users for an external Redis. */}}
{{- define "tollgate.redisAclUsers" -}}
{{- $p := .Values.redis.keyPrefix -}}
- "default on nopass resetkeys resetchannels -@all +ping"
- "tollgate-operator on >$(REDIS_OPERATOR_PASSWORD) resetkeys resetchannels ~{{ $p }}registry:* &{{ $p }}registry:* -@all +ping +auth +hello +select +hget +get +exists +eval +evalsha +hset +hdel +incr +set +publish +spublish"
- "tollgate-token-server on >$(REDIS_TOKEN_SERVER_PASSWORD) resetkeys resetchannels %R~{{ $p }}registry:* ~{{ $p }}state:* &{{ $p }}registry:* -@all +ping +auth +hello +select +get +hget +hgetall +multi +exec +discard +subscribe +unsubscribe +ssubscribe +sunsubscribe +set +getdel +del +exists +eval +evalsha +incr +expire +pttl +zadd +zremrangebyscore +zrangebyscore"
{{- end -}}

{{/* A component's Redis credentials and URL: (dict "root" $ "component" "operator"|"tokenServer").
Bundled: its ACL user and password from the auth Secret. External: redis.external.users.<component>
(or the shared passwordSecret), the topology, and the CA bundle for rediss:// when set. Both: the key prefix. */}}
{{- define "tollgate.redisEnv" -}}
{{- $root := .root -}}
{{- $values := $root.Values.redis -}}
{{- $user := ternary "tollgate-operator" "tollgate-token-server" (eq .component "operator") -}}
{{- if eq $values.mode "bundled" }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "tollgate.redisAuthSecret" $root }}
      key: {{ ternary "operator-password" "token-server-password" (eq .component "operator") }}
- name: TOLLGATE_REDIS_URL
  value: {{ printf "redis://%s:$(REDIS_PASSWORD)@%s.%s.svc:6379" $user (include "tollgate.redisName" $root) (include "tollgate.namespace" $root) | quote }}
{{- else }}
{{- $external := index $values.external.users .component }}
{{- $credentials := "" }}
{{- if $values.external.passwordSecret.name }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $values.external.passwordSecret.name }}
      key: {{ $external.passwordKey | default $values.external.passwordSecret.key }}
{{- $credentials = printf "%s:$(REDIS_PASSWORD)@" $external.username }}
{{- else if $external.username }}
{{- $credentials = printf "%s@" $external.username }}
{{- end }}
- name: TOLLGATE_REDIS_URL
  value: {{ regexReplaceAll "^(rediss?://)" $values.external.url (printf "${1}%s" $credentials) | quote }}
- name: TOLLGATE_REDIS_MODE
  value: {{ $values.external.topology | quote }}
{{- with $values.external.tls.caSecret.name }}
- name: TOLLGATE_REDIS_CA_FILE
  value: /var/run/tollgate/redis-ca/{{ $values.external.tls.caSecret.key }}
{{- end }}
{{- end }}
- name: TOLLGATE_REDIS_KEY_PREFIX
  value: {{ $values.keyPrefix | quote }}
{{- end -}}

{{/* The external Redis's CA bundle: the volume and its mount, when redis.external.tls.caSecret is set. */}}
{{- define "tollgate.redisCaVolume" -}}
{{- if and (eq .Values.redis.mode "external") .Values.redis.external.tls.caSecret.name }}
- name: redis-ca
  secret:
    secretName: {{ .Values.redis.external.tls.caSecret.name }}
{{- end }}
{{- end -}}
{{- define "tollgate.redisCaMount" -}}
{{- if and (eq .Values.redis.mode "external") .Values.redis.external.tls.caSecret.name }}
- name: redis-ca
  mountPath: /var/run/tollgate/redis-ca
  readOnly: true
{{- end }}
{{- end -}}

{{- define "tollgate.podSecurity" -}}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}

{{/* A pod template's metadata: (dict "root" $ "component" "operator" "values" .Values.operator).
Pod labels and commonLabels never override the selector labels. */}}
{{- define "tollgate.podMetadata" -}}
{{- $selector := include "tollgate.selectorLabels" (dict "root" .root "component" .component) | fromYaml -}}
metadata:
  labels:
    {{- merge $selector (.values.podLabels | default dict) (.root.Values.commonLabels | default dict) | toYaml | nindent 4 }}
  {{- with .values.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{/* Where a component's pods run: priority class, node selection and spread, same arguments.
A spread constraint without a labelSelector gets the component's selector labels. */}}
{{- define "tollgate.podScheduling" -}}
{{- with .values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- range . }}
  {{- $selector := dict "matchLabels" (include "tollgate.selectorLabels" (dict "root" $.root "component" $.component) | fromYaml) }}
  - {{ toYaml (merge (dict) . (dict "labelSelector" (.labelSelector | default $selector))) | nindent 4 | trim }}
  {{- end }}
{{- end }}
{{- end -}}

{{- define "tollgate.operatorServiceAccount" -}}
{{- include "tollgate.serviceAccountName" (dict "root" . "values" .Values.operator "default" (include "tollgate.operatorName" .)) -}}
{{- end -}}
{{- define "tollgate.tokenServerServiceAccount" -}}
{{- include "tollgate.serviceAccountName" (dict "root" . "values" .Values.tokenServer "default" (include "tollgate.tokenServerName" .)) -}}
{{- end -}}

{{/* The host of `issuer` (no port); empty when issuer is. */}}
{{- define "tollgate.issuerHost" -}}
{{- with .Values.issuer }}{{ (urlParse .).host | regexFind "^[^:]+" }}{{ end -}}
{{- end -}}

{{/* Fails the render when a public route's hosts do not serve `issuer`: tokens would carry
an `iss`, and Secrets a token endpoint, that the route does not answer for.
(dict "root" $ "value" "ingress.host" "hosts" (list …)) */}}
{{- define "tollgate.checkIssuerHost" -}}
{{- $issuerHost := include "tollgate.issuerHost" .root -}}
{{- if not (has $issuerHost .hosts) -}}
{{- fail (printf "%s (%s) must serve the host of issuer (%s): set issuer=https://%s, the URL clients reach the token server at" .value (join ", " .hosts) (.root.Values.issuer | default "empty: the in-cluster Service URL") (first .hosts | default "<public host>")) -}}
{{- end -}}
{{- end -}}

{{/*
OpenTelemetry traces (common/tracing.ts): the standard OTEL_* variables, set only when
tracing.otlpEndpoint is; the component's name becomes OTEL_SERVICE_NAME.
*/}}
{{- define "tollgate.tracingEnv" -}}
{{- with .root.Values.tracing }}
{{- if .otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ .otlpEndpoint | quote }}
- name: OTEL_SERVICE_NAME
  value: {{ printf "tollgate-%s" $.component | quote }}
- name: OTEL_TRACES_SAMPLER
  value: parentbased_traceidratio
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ .sampleRatio | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/*
CEL: pattern (an expanded tollgate pattern) matches value whole, one "*" matching any run
of characters; operator/policy/decide.ts's matches(). (list "pattern" "value"), variable names.
*/}}
{{- define "tollgate.celMatch" -}}
{{- $q := index . 0 -}}{{- $v := index . 1 -}}
({{ $q }}.indexOf('*') < 0 ? {{ $v }} == {{ $q }} : (size({{ $v }}) >= size({{ $q }}) - 1 && {{ $v }}.startsWith({{ $q }}.substring(0, {{ $q }}.indexOf('*'))) && {{ $v }}.endsWith({{ $q }}.substring({{ $q }}.indexOf('*') + 1))))
{{- end -}}

{{/* The registrar's public URL of POST /register: registrar.endpoint, else the Ingress host's
/register when the Ingress is on, else the in-cluster Service URL. (With only an HTTPRoute,
set registrar.endpoint to the issuer host's /register.) */}}
{{- define "tollgate.registrationEndpoint" -}}
{{- if .Values.registrar.endpoint -}}
{{- .Values.registrar.endpoint -}}
{{- else if .Values.ingress.enabled -}}
{{- printf "%s://%s/register" (ternary "https" "http" (not (empty .Values.ingress.tlsSecretName))) .Values.ingress.host -}}
{{- else -}}
{{- printf "http://%s-registrar.%s.svc" (include "tollgate.fullname" .) (include "tollgate.namespace" .) -}}
{{- if ne (int .Values.registrar.service.port) 80 }}:{{ .Values.registrar.service.port }}{{ end }}/register
{{- end -}}
{{- end -}}
