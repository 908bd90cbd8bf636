// argocd-lua: an object's health as Argo CD computes it, through Argo CD's own code.
//
// The argocd-cm ConfigMap (a YAML file) is read by Argo CD's settings manager (util/settings), its
// resource customizations become the Lua health overrides (util/lua, gopher-lua, standard
// libraries only where useOpenLibs says so), and each object goes through gitops-engine's
// health.GetResourceHealth, the call the application controller makes for every live resource
// (so a terminating object gets Argo CD's deletion handling too).
//
// Usage: argocd-lua ARGOCD_CM.yaml < objects.json   (a JSON array of objects; null for a resource
// that is in Git but not in the cluster, which the controller reports Missing without asking Lua)
// Prints a JSON array, one entry per object: {"status","message"} or {"error"} (Argo CD then shows
// the resource as Unknown with that error).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/health"
	"github.com/argoproj/argo-cd/v3/util/lua"
	"github.com/argoproj/argo-cd/v3/util/settings"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/yaml"
)

type result struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
	Error   string `json:"error,omitempty"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "argocd-lua:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) != 2 {
		return fmt.Errorf("usage: argocd-lua ARGOCD_CM.yaml < objects.json")
	}
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		return err
	}
	cm := &corev1.ConfigMap{}
	if err := yaml.Unmarshal(raw, cm); err != nil {
		return fmt.Errorf("%s: %w", os.Args[1], err)
	}
	// Argo CD reads argocd-cm from its own namespace; the settings manager serves it from a fake clientset.
	cm.Namespace = "argocd"
	mgr := settings.NewSettingsManager(context.Background(), fake.NewClientset(cm), "argocd")
	overrides, err := mgr.GetResourceOverrides()
	if err != nil {
		return fmt.Errorf("resource customizations: %w", err)
	}
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		return err
	}
	var objects []map[string]any
	if err := json.Unmarshal(in, &objects); err != nil {
		return fmt.Errorf("stdin: %w", err)
	}
	out := make([]result, 0, len(objects))
	for _, o := range objects {
		if o == nil { // controller/health.go setApplicationHealth: no live object, Missing
			out = append(out, result{Status: string(health.HealthStatusMissing)})
			continue
		}
		hs, err := health.GetResourceHealth(&unstructured.Unstructured{Object: o}, lua.ResourceHealthOverrides(overrides))
		switch {
		case err != nil:
			out = append(out, result{Error: err.Error()})
		case hs == nil:
			out = append(out, result{Error: "no health check for this kind"})
		default:
			out = append(out, result{Status: string(hs.Status), Message: hs.Message})
		}
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}
