{{/* Chart name, truncated to the 63 characters a DNS label allows. */}}
{{- define "faxgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "faxgate.fullname" -}}
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

{{- define "faxgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "faxgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "faxgate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "faxgate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Labels of one component: call with (dict "root" $ "component" "render"). */}}
{{- define "faxgate.componentLabels" -}}
{{ include "faxgate.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- if not (has .component (list "redis" "metrics")) }}
faxgate.io/metrics: "true"
{{- end }}
{{- end -}}

{{- define "faxgate.componentSelector" -}}
{{ include "faxgate.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "faxgate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "faxgate.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "faxgate.secretName" -}}
{{- default (printf "%s-secrets" (include "faxgate.fullname" .)) .Values.existingSecret -}}
{{- end -}}

{{- define "faxgate.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "faxgate.renderImage" -}}
{{- printf "%s:%s" .Values.renderImage.repository (default (printf "%s-render" .Chart.AppVersion) .Values.renderImage.tag) -}}
{{- end -}}

{{- define "faxgate.redisHost" -}}
{{- printf "%s-redis" (include "faxgate.fullname" .) -}}
{{- end -}}

{{/* host:port of Redis for KEDA's scaler. */}}
{{- define "faxgate.redisAddress" -}}
{{- if .Values.redis.enabled -}}
{{- printf "%s.%s.svc:6379" (include "faxgate.redisHost" .) .Release.Namespace -}}
{{- else if .Values.redis.external.address -}}
{{- .Values.redis.external.address -}}
{{- else -}}
{{- $u := urlParse .Values.redis.external.url -}}
{{- if contains ":" $u.host -}}{{ $u.host }}{{- else -}}{{ printf "%s:6379" $u.host }}{{- end -}}
{{- end -}}
{{- end -}}

{{/* True (non-empty) when a Redis password is in the Secret. */}}
{{- define "faxgate.hasRedisPassword" -}}
{{- if or .Values.existingSecret .Values.secrets.redisPassword -}}true{{- end -}}
{{- end -}}

{{/*
Environment of every faxgate container. Redis comes first so FAXGATE_REDIS_URL can expand
$(REDIS_PASSWORD); secrets come from the Secret, optional keys stay optional.
*/}}
{{- define "faxgate.env" -}}
{{- $root := .root -}}
{{- $secret := include "faxgate.secretName" $root -}}
- name: POD_NAME
  valueFrom: { fieldRef: { fieldPath: metadata.name } }
- name: POD_NAMESPACE
  valueFrom: { fieldRef: { fieldPath: metadata.namespace } }
- name: FAXGATE_NODE_ID
  value: "$(POD_NAME)"
{{- if $root.Values.redis.enabled }}
{{- if include "faxgate.hasRedisPassword" $root }}
- name: REDIS_PASSWORD
  valueFrom: { secretKeyRef: { name: {{ $secret }}, key: redis-password, optional: {{ ternary "true" "false" (not (empty $root.Values.existingSecret)) }} } }
- name: FAXGATE_REDIS_URL
  value: "redis://:$(REDIS_PASSWORD)@{{ include "faxgate.redisHost" $root }}:6379"
{{- else }}
- name: FAXGATE_REDIS_URL
  value: "redis://{{ include "faxgate.redisHost" $root }}:6379"
{{- end }}
{{- else if $root.Values.redis.external.url }}
- name: FAXGATE_REDIS_URL
  value: {{ $root.Values.redis.external.url | quote }}
{{- else }}
- name: FAXGATE_REDIS_URL
  valueFrom: { secretKeyRef: { name: {{ $secret }}, key: redis-url } }
{{- end }}
- name: FAXGATE_QUEUE_PREFIX
  value: {{ $root.Values.config.queuePrefix | quote }}
- name: FAXGATE_DATA_DIR
  value: /data
- name: FAXGATE_HTTP_PORT
  value: "8080"
- name: FAXGATE_LOG_LEVEL
  value: {{ $root.Values.config.logLevel | quote }}
- name: FAXGATE_SHUTDOWN_TIMEOUT
  value: {{ $root.Values.config.shutdownTimeout | quote }}
- name: FAXGATE_FAX_DOMAINS
  value: {{ $root.Values.config.faxDomains | quote }}
- name: FAXGATE_DEFAULT_COUNTRY
  value: {{ $root.Values.config.defaultCountry | quote }}
- name: FAXGATE_SMTP_PORT
  value: "2525"
- name: FAXGATE_CONSOLE_PASSWORD
  valueFrom: { secretKeyRef: { name: {{ $secret }}, key: console-password, optional: true } }
- name: FAXGATE_CONSOLE_TOKEN
  valueFrom: { secretKeyRef: { name: {{ $secret }}, key: console-token, optional: true } }
- name: FAXGATE_SMARTHOST
  valueFrom: { secretKeyRef: { name: {{ $secret }}, key: smarthost, optional: true } }
{{- if $root.Values.directory.enabled }}
- name: FAXGATE_DIRECTORY
  value: /etc/faxgate/directory/directory.yaml
{{- end }}
{{- /* The station id: a pool's own (in .env) wins over config.stationId, which config.env may also set. */}}
{{- if and $root.Values.config.stationId (not (hasKey $root.Values.config.env "FAXGATE_STATION_ID")) (not (hasKey (.env | default dict) "FAXGATE_STATION_ID")) }}
- name: FAXGATE_STATION_ID
  value: {{ $root.Values.config.stationId | quote }}
{{- end }}
{{- range $k, $v := $root.Values.config.env }}
{{- if not (and (eq $k "FAXGATE_STATION_ID") (hasKey ($.env | default dict) "FAXGATE_STATION_ID")) }}
- name: {{ $k }}
  value: {{ $v | toString | quote }}
{{- end }}
{{- end }}
{{- range $k, $v := .env }}
- name: {{ $k }}
  value: {{ $v | toString | quote }}
{{- end }}
{{- end -}}

{{/* Volumes every faxgate pod mounts: the shared data dir, /tmp, the directory ConfigMap. */}}
{{- define "faxgate.volumes" -}}
- name: data
{{- if .Values.persistence.enabled }}
  persistentVolumeClaim:
    claimName: {{ default (printf "%s-data" (include "faxgate.fullname" .)) .Values.persistence.existingClaim }}
{{- else }}
  emptyDir: {}
{{- end }}
- name: tmp
  emptyDir: {}
{{- if .Values.directory.enabled }}
- name: directory
  configMap:
    name: {{ include "faxgate.fullname" . }}-directory
{{- end }}
{{- end -}}

{{- define "faxgate.volumeMounts" -}}
- name: data
  mountPath: /data
- name: tmp
  mountPath: /tmp
{{- if .Values.directory.enabled }}
- name: directory
  mountPath: /etc/faxgate/directory
  readOnly: true
{{- end }}
{{- end -}}

{{/* Liveness on /healthz, readiness on /readyz (Redis and the role's workers). */}}
{{- define "faxgate.probes" -}}
startupProbe:
  httpGet: { path: /healthz, port: http }
  periodSeconds: 2
  failureThreshold: 30
livenessProbe:
  httpGet: { path: /healthz, port: http }
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet: { path: /readyz, port: http }
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
{{- end -}}

{{/*
One faxgate container. Call with (dict "root" $ "roles" (list "render") "env" $values.env
"resources" $values.resources "image" "..." "ports" (list ...) "extras" $extras), $extras the
fromYaml of faxgate.extras (extraEnv after the chart's variables, extraVolumeMounts after its mounts).
*/}}
{{- define "faxgate.container" -}}
{{- include "faxgate.checkExtraEnv" . }}
- name: faxgate
  image: {{ .image | default (include "faxgate.image" .root) | quote }}
  imagePullPolicy: {{ .root.Values.image.pullPolicy }}
  args: [{{ printf "%q" "run" }}{{ range .roles }}, {{ . | quote }}{{ end }}]
  env:
    {{- include "faxgate.env" . | nindent 4 }}
    {{- with (.extras | default dict).env }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with (.extras | default dict).envFrom }}
  envFrom:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  ports:
    - { name: http, containerPort: 8080, protocol: TCP }
    {{- range .ports }}
    - {{ toJson . }}
    {{- end }}
  {{- include "faxgate.probes" . | nindent 2 }}
  resources:
    {{- toYaml (.resources | default dict) | nindent 4 }}
  securityContext:
    {{- toYaml (mergeOverwrite (deepCopy .root.Values.securityContext) (.securityContext | default dict)) | nindent 4 }}
  volumeMounts:
    {{- include "faxgate.volumeMounts" .root | nindent 4 }}
    {{- range .extraMounts }}
    - {{ toJson . }}
    {{- end }}
    {{- with (.extras | default dict).volumeMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}

{{/* Pod-level settings every faxgate pod shares. */}}
{{- define "faxgate.podSpecCommon" -}}
serviceAccountName: {{ include "faxgate.serviceAccountName" . }}
{{- /* The API token is needed for Leases and pod discovery: with the chart's Role, or with a
ServiceAccount the operator brings (and grants). */}}
automountServiceAccountToken: {{ or .Values.rbac.create (not .Values.serviceAccount.create) }}
terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
{{- with .Values.image.pullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The roles a split install runs as Deployments, with their queue for KEDA. */}}
{{- define "faxgate.roleQueues" -}}
{"ingest": "", "render": "render", "dispatch": "dispatch", "notifier": "notify", "inbound": "inbound", "console": ""}
{{- end -}}

{{/*
What the SMTP front door (ingest, or the all-in-one pod) gets besides the common environment:
it listens on the pod's addresses, lets the cluster's own networks send without AUTH, and offers
AUTH with the users from the Secret. The role's own env entries win. JSON, for fromJson.
*/}}
{{- define "faxgate.smtpEnv" -}}
{{- $e := dict "FAXGATE_SMTP_HOST" "0.0.0.0" "FAXGATE_SMTP_CLIENT_NETWORKS" .Values.ingest.clientNetworks }}
{{- if .Values.ingest.smtpAuth.enabled }}
{{- $_ := set $e "FAXGATE_SMTP_USERS_FILE" "/etc/faxgate/smtp/users" }}
{{- $_ := set $e "FAXGATE_SMTP_REQUIRE_AUTH" (toString .Values.ingest.smtpAuth.required) }}
{{- end }}
{{- toJson $e }}
{{- end -}}

{{/* The SMTP users file from the Secret, for the pod that runs ingest (a list of volumes, or none). */}}
{{- define "faxgate.smtpVolumes" -}}
{{- if .Values.ingest.smtpAuth.enabled }}
- name: smtp-users
  secret:
    secretName: {{ include "faxgate.secretName" . }}
    items: [{ key: smtp-users, path: users }]
{{- end }}
{{- end -}}

{{/*
Port 25 published outside the cluster is how toll fraud starts (issue 17): an exposed SMTP
Service needs source ranges at the load balancer or SMTP AUTH. A NodePort has no source ranges,
and behind externalTrafficPolicy Cluster every client looks like a node (inside clientNetworks),
so there AUTH must be required of everyone.
*/}}
{{- define "faxgate.checkSmtpExposure" -}}
{{- $svc := .Values.ingest.service }}
{{- $auth := .Values.ingest.smtpAuth }}
{{- if ne $svc.type "ClusterIP" }}
{{- $ranges := and (eq $svc.type "LoadBalancer") (not (empty $svc.loadBalancerSourceRanges)) }}
{{- if not (or $ranges $auth.enabled) }}
{{- fail (printf "ingest.service.type=%s publishes SMTP outside the cluster, where anyone could make the gateway dial at your expense: set ingest.service.loadBalancerSourceRanges (LoadBalancer only) to the networks that may send, or enable ingest.smtpAuth (with secrets.smtpUsers or the smtp-users key of existingSecret); see docs/security.md" $svc.type) }}
{{- end }}
{{- if and (not $ranges) $auth.enabled (not $auth.required) (eq $svc.externalTrafficPolicy "Cluster") }}
{{- fail "ingest.service.externalTrafficPolicy=Cluster hides the client's address (every client looks like a node, inside ingest.clientNetworks): with no loadBalancerSourceRanges, set ingest.smtpAuth.required=true or externalTrafficPolicy=Local" }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
The extra volumes, mounts and environment of one faxgate pod: the chart-wide lists first, then
the role's (or pool's) own. Strings may hold templates ({{ .Release.Name }}, include ...), so a
value can name a Secret or ConfigMap that depends on the release. Call with
(dict "root" $ "v" $roleValues); returns YAML {volumes, volumeMounts, env, envFrom} for fromYaml.
*/}}
{{- define "faxgate.extras" -}}
{{- $root := .root -}}
{{- $v := .v | default dict -}}
{{- $out := dict
  "volumes" (concat ($root.Values.extraVolumes | default list) ($v.extraVolumes | default list))
  "volumeMounts" (concat ($root.Values.extraVolumeMounts | default list) ($v.extraVolumeMounts | default list))
  "env" (concat ($root.Values.extraEnv | default list) ($v.extraEnv | default list))
  "envFrom" (concat ($root.Values.extraEnvFrom | default list) ($v.extraEnvFrom | default list)) -}}
{{- tpl (toYaml $out) $root -}}
{{- end -}}

{{/*
The Secrets and ConfigMaps a pod's extras refer to (volumes, projected volumes, env valueFrom,
envFrom), as a list of "Kind/name" strings. Call with the fromYaml of faxgate.extras.
*/}}
{{- define "faxgate.extraRefs" -}}
{{- $refs := list -}}
{{- range .volumes -}}
{{- with .secret }}{{ $refs = append $refs (printf "Secret/%s" .secretName) }}{{ end -}}
{{- with .configMap }}{{ $refs = append $refs (printf "ConfigMap/%s" .name) }}{{ end -}}
{{- with .projected -}}
{{- range .sources -}}
{{- with .secret }}{{ $refs = append $refs (printf "Secret/%s" .name) }}{{ end -}}
{{- with .configMap }}{{ $refs = append $refs (printf "ConfigMap/%s" .name) }}{{ end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range .env -}}
{{- with .valueFrom -}}
{{- with .secretKeyRef }}{{ $refs = append $refs (printf "Secret/%s" .name) }}{{ end -}}
{{- with .configMapKeyRef }}{{ $refs = append $refs (printf "ConfigMap/%s" .name) }}{{ end -}}
{{- end -}}
{{- end -}}
{{- range .envFrom -}}
{{- with .secretRef }}{{ $refs = append $refs (printf "Secret/%s" .name) }}{{ end -}}
{{- with .configMapRef }}{{ $refs = append $refs (printf "ConfigMap/%s" .name) }}{{ end -}}
{{- end -}}
{{- toJson (dict "refs" ($refs | uniq | sortAlpha)) -}}
{{- end -}}

{{/*
Pod annotations that roll a workload when what it reads only at start changes: environment
variables from Secrets never change in a running container, and files such as the TLS key or
the SMTP users file are read once. checksum/secret follows the chart's Secret (its values, or the
existing Secret's resourceVersion as Helm sees it at upgrade); checksum/extra follows every
Secret and ConfigMap the pod's extras refer to: the chart's extraSecrets/extraConfigMaps by
content, others by their resourceVersion (looked up at `helm upgrade`; `helm template` cannot
see the cluster). Versions, not the data, of Secrets the chart does not own: a digest of a short
password in a pod annotation could be guessed offline. The directory ConfigMap is left out on
purpose: the inbound role reloads it without a restart. Call with (dict "root" $ "extras" $x).
*/}}
{{- define "faxgate.checksums" -}}
{{- $root := .root -}}
{{- $ns := $root.Release.Namespace -}}
{{- $secret := "" -}}
{{- if $root.Values.existingSecret -}}
{{- $s := lookup "v1" "Secret" $ns $root.Values.existingSecret | default dict -}}
{{- $secret = printf "%s@%s" $root.Values.existingSecret (dig "metadata" "resourceVersion" "" $s) -}}
{{- else -}}
{{- $secret = toJson $root.Values.secrets -}}
{{- end }}
checksum/secret: {{ sha256sum $secret | quote }}
{{- $refs := (include "faxgate.extraRefs" .extras | fromJson).refs | default list -}}
{{- if $refs }}
{{- $seen := dict -}}
{{- range $refs -}}
{{- $kind := first (splitList "/" .) -}}
{{- $name := trimPrefix (printf "%s/" $kind) . -}}
{{- $own := ternary ($root.Values.extraSecrets | default dict) ($root.Values.extraConfigMaps | default dict) (eq $kind "Secret") -}}
{{- if hasKey $own $name -}}
{{- $_ := set $seen . (toJson (get $own $name)) -}}
{{- else if and (eq $kind "Secret") (eq $name (include "faxgate.secretName" $root)) -}}
{{- $_ := set $seen . $secret -}}
{{- else -}}
{{- $o := lookup "v1" $kind $ns $name | default dict -}}
{{- $_ := set $seen . (dig "metadata" "resourceVersion" "" $o) -}}
{{- end -}}
{{- end }}
checksum/extra: {{ toJson $seen | sha256sum | quote }}
{{- end -}}
{{- with $root.Values.podAnnotations }}
{{ toYaml . }}
{{- end -}}
{{- end -}}

{{/*
What the built-in Redis reads from the Secret at start: its password only, so a new smarthost or
console password does not restart Redis. The existing Secret is followed by its resourceVersion.
*/}}
{{- define "faxgate.redisSecretChecksum" -}}
{{- if .Values.existingSecret -}}
{{- $s := lookup "v1" "Secret" .Release.Namespace .Values.existingSecret | default dict -}}
{{- printf "%s@%s" .Values.existingSecret (dig "metadata" "resourceVersion" "" $s) | sha256sum -}}
{{- else -}}
{{- .Values.secrets.redisPassword | sha256sum -}}
{{- end -}}
{{- end -}}

{{/*
extraEnv may not name a variable twice, nor one the chart sets: Kubernetes keeps the last of
two entries, but server-side apply (Helm 4's default) refuses the Deployment outright, so the
chart says which name and where to set it instead. Call with the faxgate.container dict.
*/}}
{{- define "faxgate.checkExtraEnv" -}}
{{- $seen := dict -}}
{{- range (include "faxgate.env" . | fromYamlArray) }}{{ $_ := set $seen .name "the chart (or config.env / the role's env)" }}{{ end -}}
{{- range (.extras | default dict).env -}}
{{- if hasKey $seen .name -}}
{{- fail (printf "extraEnv of %s sets %s, which %s already sets: a container cannot have one variable twice (server-side apply refuses it); change it through config.env, the role's env, or one extraEnv entry" (join "," $.roles) .name (get $seen .name)) -}}
{{- end -}}
{{- $_ := set $seen .name "another extraEnv entry" -}}
{{- end -}}
{{- end -}}

{{/*
The UDP range a sip pool's calls bind their RTP and UDPTL to (FAXGATE_SIP_MEDIA_PORTS, see
docs/sip.md): the pool's mediaPorts, else its env's FAXGATE_SIP_MEDIA_PORTS, else the node's
default; "first-last" or `any` (labs: ports the OS picks, nothing to open), empty for other
drivers.
Call with (dict "pool" $pool).
*/}}
{{- define "faxgate.sipMediaPorts" -}}
{{- $pool := .pool -}}
{{- if eq (toString $pool.driver) "sip" -}}
{{- $fromEnv := toString (get ($pool.env | default dict) "FAXGATE_SIP_MEDIA_PORTS") -}}
{{- $range := toString ($pool.mediaPorts | default $fromEnv | default "10000-11999") -}}
{{- if and $pool.mediaPorts $fromEnv (ne $fromEnv (toString $pool.mediaPorts)) -}}
{{- fail (printf "node pool %s: mediaPorts %s and env FAXGATE_SIP_MEDIA_PORTS %s differ; set one" $pool.name $pool.mediaPorts $fromEnv) -}}
{{- end -}}
{{- if ne $range "any" -}}
{{- if not (regexMatch "^[0-9]{1,5}-[0-9]{1,5}$" $range) -}}
{{- fail (printf "node pool %s: the SIP media port range is first-last (e.g. 10000-11999) or any, not %s" $pool.name $range) -}}
{{- end -}}
{{- $p := splitList "-" $range -}}
{{- $first := atoi (index $p 0) -}}
{{- $last := atoi (index $p 1) -}}
{{- /* A call takes 4 ports (docs/sip.md): a range must hold at least one call. */ -}}
{{- if or (lt $first 1024) (gt $last 65535) (lt (sub $last $first) 3) -}}
{{- fail (printf "node pool %s: the SIP media port range %s must lie within 1024-65535 and hold at least 4 ports (one call)" $pool.name $range) -}}
{{- end -}}
{{- printf "%d-%d" $first $last -}}
{{- else -}}
any
{{- end -}}
{{- end -}}
{{- end -}}
