"""The development cluster: a real Kubernetes control plane on loopback and a local kubelet."""
