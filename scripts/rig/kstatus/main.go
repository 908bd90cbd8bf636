// Command kstatus prints what kstatus (sigs.k8s.io/cli-utils/pkg/kstatus/status, the library
// Flux, kpt and cli-utils use to decide whether an object is done) computes for Kubernetes objects.
//
// Input on stdin: one JSON object (e.g. `kubectl get … -o json`), or a List of them. Output: one
// JSON line per object, {"kind","namespace","name","status","message"}, where status is one of
// InProgress, Failed, Current, Terminating, NotFound, Unknown. Built at test time by
// scripts/rig/ensure-binaries.sh (target kstatus), never committed as a binary.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type line struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	Message   string `json:"message"`
}

func main() {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("reading stdin: %v", err)
	}
	// unstructured's own decoder keeps integers as int64, which kstatus requires
	// (encoding/json's float64 would make status.observedGeneration unreadable)
	var u unstructured.Unstructured
	if err := u.UnmarshalJSON(data); err != nil {
		fail("decoding the object: %v", err)
	}
	items := []unstructured.Unstructured{u}
	if u.IsList() {
		list, err := u.ToList()
		if err != nil {
			fail("decoding the list: %v", err)
		}
		items = list.Items
	}
	out := json.NewEncoder(os.Stdout)
	for i := range items {
		obj := &items[i]
		res, err := status.Compute(obj)
		if err != nil {
			fail("%s %s/%s: %v", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
		}
		if err := out.Encode(line{obj.GetKind(), obj.GetNamespace(), obj.GetName(), res.Status.String(), res.Message}); err != nil {
			fail("writing: %v", err)
		}
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "kstatus: "+format+"\n", args...)
	os.Exit(1)
}
