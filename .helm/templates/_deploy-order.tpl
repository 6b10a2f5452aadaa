{{/*
Deploy order, with werf 2's deploy dependencies: an annotation
  werf.io/deploy-dependency-<id>: state=present|ready,kind=<Kind>,name=<name>
holds the annotated resource back until that resource of the release exists (present) or is ready
(a Job: completed). werf recommends them over weights, and ignores the werf.io/weight of a resource
that has one, so each workload names everything its pod needs. The resulting order:
  ServiceAccount, ConfigMaps, Secrets (weight -30) -> in-cluster stores (weight -20)
  migration Job: after what it reads, and after PostgreSQL is ready where the chart runs it
  app and workers: after what they read, the stores they use, and the completed migration
A dependency may only name a resource of the release: a store switched off (production) is no
dependency at all.
*/}}

{{/*
The deploy dependencies of a workload, as annotations: the completed migration (migration: true),
what its pod reads from the release, present (the ServiceAccount, the registry Secret when on, the
named configMaps and secrets), and the in-cluster stores it uses, ready (stores: names; none where
the chart runs none). Arguments: dict root, migration, configMaps, secrets, stores.
*/}}
{{- define "chat.deployDependencies" -}}
{{- $root := .root -}}
werf.io/deploy-dependency-serviceaccount: state=present,kind=ServiceAccount,name=chat
{{- if .migration }}
werf.io/deploy-dependency-migration: state=ready,kind=Job,name=chat-migrate
{{- end }}
{{- if include "chat.enabled" (list $root $root.Values.imagePullSecret.enabled) }}
werf.io/deploy-dependency-registry-secret: state=present,kind=Secret,name=chat-registry
{{- end }}
{{- range .configMaps }}
werf.io/deploy-dependency-{{ . }}-configmap: state=present,kind=ConfigMap,name={{ . }}
{{- end }}
{{- range .secrets }}
werf.io/deploy-dependency-{{ . }}-secret: state=present,kind=Secret,name={{ . }}
{{- end }}
{{- range $store := .stores }}
{{- if include "chat.enabled" (list $root (index $root.Values $store).enabled) }}
werf.io/deploy-dependency-{{ $store }}: state=ready,kind=StatefulSet,name=chat-{{ $store }}
{{- end }}
{{- end }}
{{- end -}}
