{{/*
NetworkPolicies: only the app and the workers reach the data stores, each only the stores it uses;
the app pods accept traffic on nginx's port only (Node's port is for the kubelet's probes, which
NetworkPolicy does not apply to). Needs a CNI that enforces NetworkPolicy (Calico, Cilium, …);
elsewhere these objects are accepted and ignored.

The policy of an in-cluster data store (postgresql-networkpolicy.yaml, …): its port, open to the
pods of the listed components. Rendered when networkPolicy.enabled and the store are on.
Arguments: dict root, store (its values key and component name), clients (component names).
*/}}
{{- define "chat.storeNetworkPolicy" -}}
{{- $root := .root -}}
{{- if and (include "chat.enabled" (list $root $root.Values.networkPolicy.enabled)) (include "chat.enabled" (list $root (index $root.Values .store).enabled)) }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: chat-{{ .store }}
  labels: {{- include "chat.labels" (list $root .store) | nindent 4 }}
spec:
  podSelector:
    matchLabels: {{- include "chat.selector" (list $root .store) | nindent 6 }}
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app.kubernetes.io/instance: {{ $root.Release.Name }}
              chat/data-client: "true"
            matchExpressions:
              - key: app.kubernetes.io/component
                operator: In
                values: {{ .clients | toJson }}
      ports:
        - port: {{ (include "chat.storePort" .store | fromJson).number }}
          protocol: TCP
{{- end }}
{{- end -}}
