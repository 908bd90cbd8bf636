// argocd-sync: one sync operation of an Argo CD Application over a folder of manifests, run by
// Argo CD's own engine against a cluster, the way the application controller runs it.
//
// What comes from Argo CD (v3, gitops-engine v3), not re-implemented here:
//   - the Application and its AppProject, read from the folder's argocd.yaml;
//   - resource tracking: the tracking annotation set on every manifest (util/argo, as the repo
//     server does) and read back from the live objects to find what the Application manages;
//   - the live state: gitops-engine's cluster cache (pkg/cache), watching every kind;
//   - the sync: pkg/sync's Reconcile and SyncContext with the options controller/sync.go passes
//     (prune, server-side apply as argocd-controller, PruneLast, PrunePropagationPolicy, waves,
//     health from argocd-cm's Lua through util/lua), and the AppProject checks of
//     controller/sync.go's validateSyncPermissions (IsGroupKindNamePermitted, IsDestinationPermitted);
//   - the operation loop: as the controller does on each refresh, a fresh SyncContext is made from
//     the cache's current state and the previous results, and Sync runs once, until the operation
//     completes (engine.Sync's own loop is not used: it can wait forever between waves).
//
// Usage: argocd-sync --kubeconfig FILE --dir DIR --app NAME [--revision R] [--timeout 3m]
// Prints JSON lines: {"event":"phase",...} whenever the operation's phase or message changes,
// {"event":"resource",...} whenever a resource's result changes, and last {"event":"done",...}.
// Exit 0 when the operation Succeeded, 1 when it Failed or Errored, 2 on a harness error or timeout.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/cache"
	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/sync"
	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/sync/common"
	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/utils/kube"
	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/utils/tracing"
	cdcommon "github.com/argoproj/argo-cd/v3/common"
	"github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"
	"github.com/argoproj/argo-cd/v3/util/argo"
	"github.com/argoproj/argo-cd/v3/util/lua"
	"github.com/argoproj/argo-cd/v3/util/settings"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2/textlogger"
	sigyaml "sigs.k8s.io/yaml"
)

// Argo CD v3's defaults: annotation tracking, no installation id, the application controller's namespace.
const (
	trackingMethod = v1alpha1.TrackingMethodAnnotation
	installationID = ""
	argocdNS       = "argocd"
)

func main() {
	code, err := run()
	if err != nil {
		emit(map[string]any{"event": "error", "error": err.Error()})
		fmt.Fprintln(os.Stderr, "argocd-sync:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

func emit(v map[string]any) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

func run() (int, error) {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the destination cluster")
	dir := flag.String("dir", "", "folder holding argocd.yaml, argocd-cm-health.yaml and the Application's manifests")
	appName := flag.String("app", "", "Application name (in DIR/argocd.yaml)")
	revision := flag.String("revision", "HEAD", "revision recorded in the sync")
	timeout := flag.Duration("timeout", 3*time.Minute, "give up (exit 2) when the operation has not completed by then")
	verbosity := flag.Int("v", 0, "engine log verbosity (klog, to stderr)")
	flag.Parse()
	if *kubeconfig == "" || *dir == "" || *appName == "" {
		return 2, errors.New("--kubeconfig, --dir and --app are required")
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	log := textlogger.NewLogger(textlogger.NewConfig(textlogger.Verbosity(*verbosity), textlogger.Output(os.Stderr)))

	app, proj, err := loadApplication(filepath.Join(*dir, "argocd.yaml"), *appName)
	if err != nil {
		return 2, err
	}
	overrides, err := resourceOverrides(filepath.Join(*dir, "argocd-cm-health.yaml"))
	if err != nil {
		return 2, err
	}
	restConfig, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return 2, err
	}
	destNS := app.Spec.Destination.Namespace
	destCluster := &v1alpha1.Cluster{Server: app.Spec.Destination.Server, Name: app.Spec.Destination.Name}
	tracking := argo.NewResourceTracking()

	// The live state, as the controller's cluster cache keeps it: every kind watched, each object
	// labelled with the Application its tracking annotation names, and the manifest kept for those
	// an Application manages (only they are candidates for pruning).
	type resInfo struct{ appName string }
	clusterCache := cache.NewClusterCache(restConfig,
		cache.SetLogr(log),
		cache.SetPopulateResourceInfoHandler(func(un *unstructured.Unstructured, _ bool) (any, bool) {
			name := tracking.GetAppName(un, cdcommon.LabelKeyAppInstance, trackingMethod, installationID)
			return &resInfo{appName: name}, name != ""
		}))
	if err := clusterCache.EnsureSynced(); err != nil {
		return 2, fmt.Errorf("cluster cache: %w", err)
	}
	defer clusterCache.Invalidate()

	targets, err := loadTargets(*dir, app, clusterCache, tracking)
	if err != nil {
		return 2, err
	}
	managed := func(r *cache.Resource) bool {
		info, ok := r.Info.(*resInfo)
		return ok && info.appName == app.InstanceName(argocdNS)
	}

	syncOptions := v1alpha1.SyncOptions{}
	prune := false
	if app.Spec.SyncPolicy != nil {
		syncOptions = app.Spec.SyncPolicy.SyncOptions
		prune = app.Spec.SyncPolicy.Automated != nil && app.Spec.SyncPolicy.Automated.Prune != nil && *app.Spec.SyncPolicy.Automated.Prune
	}
	propagation := metav1.DeletePropagationForeground // controller/sync.go's default
	switch {
	case syncOptions.HasOption("PrunePropagationPolicy=background"):
		propagation = metav1.DeletePropagationBackground
	case syncOptions.HasOption("PrunePropagationPolicy=orphan"):
		propagation = metav1.DeletePropagationOrphan
	}
	kubectl := &kube.KubectlCmd{Log: log, Tracer: tracing.NopTracer{}}

	phase, message := common.OperationRunning, ""
	var results []common.ResourceSyncResult
	startedAt := metav1.Now()
	lastPhase, lastResult := "", map[kube.ResourceKey]string{}
	for {
		if ctx.Err() != nil {
			emit(map[string]any{"event": "done", "phase": "Timeout", "message": fmt.Sprintf("operation still %s after %s: %s", phase, *timeout, message), "resources": summary(results)})
			return 2, nil
		}
		live, err := clusterCache.GetManagedLiveObjs(targets, managed)
		if err != nil {
			return 2, fmt.Errorf("live objects: %w", err)
		}
		reconciled := sync.Reconcile(targets, live, destNS, clusterCache)
		initial := make([]common.ResourceSyncResult, len(results))
		for i, r := range results {
			r.Order = i + 1
			initial[i] = r
		}
		syncCtx, cleanup, err := sync.NewSyncContext(*revision, reconciled, restConfig, restConfig, kubectl, destNS,
			sync.WithLogr(log),
			sync.WithHealthOverride(lua.ResourceHealthOverrides(overrides)),
			sync.WithPermissionValidator(func(un *unstructured.Unstructured, res *metav1.APIResource) error {
				return validateSyncPermissions(proj, destCluster, un, res)
			}),
			sync.WithOperationSettings(false, prune, false, false),
			sync.WithInitialState(phase, message, initial, startedAt),
			sync.WithResourcesFilter(func(_ kube.ResourceKey, target, live *unstructured.Unstructured) bool {
				return isSelfReferencedObj(live, target, app.Name, tracking)
			}),
			sync.WithManifestValidation(!syncOptions.HasOption(common.SyncOptionsDisableValidation)),
			sync.WithPruneLast(syncOptions.HasOption(common.SyncOptionPruneLast)),
			sync.WithPrunePropagationPolicy(&propagation),
			sync.WithReplace(syncOptions.HasOption(common.SyncOptionReplace)),
			sync.WithServerSideApply(syncOptions.HasOption(common.SyncOptionServerSideApply)),
			sync.WithServerSideApplyManager(cdcommon.ArgoCDSSAManager),
			sync.WithClientSideApplyMigration(!syncOptions.HasOption(common.SyncOptionDisableClientSideApplyMigration), common.DefaultClientSideApplyMigrationManager),
			sync.WithDefaultPruneOption(syncOptions.GetOptionValue(common.SyncOptionPrune)),
			sync.WithSkipDryRunOnMissingResource(syncOptions.HasOption(common.SyncOptionSkipDryRunOnMissingResource)),
		)
		if err != nil {
			return 2, fmt.Errorf("sync context: %w", err)
		}
		syncCtx.Sync(ctx)
		phase, message, results = syncCtx.GetState()
		cleanup()

		if p := string(phase) + "\x00" + message; p != lastPhase {
			lastPhase = p
			emit(map[string]any{"event": "phase", "phase": phase, "message": message})
		}
		for _, r := range results {
			s := fmt.Sprintf("%s|%s|%s", r.Status, r.HookPhase, r.Message)
			if lastResult[r.ResourceKey] != s {
				lastResult[r.ResourceKey] = s
				emit(map[string]any{"event": "resource", "kind": r.ResourceKey.Kind, "namespace": r.ResourceKey.Namespace, "name": r.ResourceKey.Name, "status": r.Status, "operation": r.HookPhase, "message": r.Message})
			}
		}
		if phase.Completed() {
			emit(map[string]any{"event": "done", "phase": phase, "message": message, "resources": summary(results)})
			if phase.Successful() {
				return 0, nil
			}
			return 1, nil
		}
		// The controller comes back on the next refresh; the cache meanwhile sees what changed.
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func summary(results []common.ResourceSyncResult) []map[string]any {
	out := make([]map[string]any, 0, len(results))
	for _, r := range results {
		out = append(out, map[string]any{"kind": r.ResourceKey.Kind, "namespace": r.ResourceKey.Namespace, "name": r.ResourceKey.Name, "status": r.Status, "operation": r.HookPhase, "message": r.Message})
	}
	sort.SliceStable(out, func(i, j int) bool {
		return fmt.Sprint(out[i]["kind"], out[i]["name"]) < fmt.Sprint(out[j]["kind"], out[j]["name"])
	})
	return out
}

// loadApplication reads the Application and its AppProject from argocd.yaml.
func loadApplication(file, name string) (*v1alpha1.Application, *v1alpha1.AppProject, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, err
	}
	objs, err := kube.SplitYAML(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	var app *v1alpha1.Application
	projects := map[string]*v1alpha1.AppProject{}
	for _, o := range objs {
		switch o.GetKind() {
		case "Application":
			if o.GetName() == name {
				app = &v1alpha1.Application{}
				if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, app); err != nil {
					return nil, nil, err
				}
			}
		case "AppProject":
			p := &v1alpha1.AppProject{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, p); err != nil {
				return nil, nil, err
			}
			projects[p.Name] = p
		}
	}
	if app == nil {
		return nil, nil, fmt.Errorf("%s: no Application %s", file, name)
	}
	proj := projects[app.Spec.Project]
	if proj == nil {
		return nil, nil, fmt.Errorf("%s: no AppProject %s (Application %s's project)", file, app.Spec.Project, name)
	}
	return app, proj, nil
}

// resourceOverrides reads argocd-cm's resource customizations with Argo CD's settings manager.
func resourceOverrides(file string) (map[string]v1alpha1.ResourceOverride, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	cm := &corev1.ConfigMap{}
	if err := sigyaml.Unmarshal(raw, cm); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	cm.Namespace = argocdNS
	return settings.NewSettingsManager(context.Background(), fake.NewClientset(cm), argocdNS).GetResourceOverrides()
}

// loadTargets reads the manifests the Application's directory source selects (its include glob,
// matched on file names) and marks them with the tracking annotation, as the repo server does.
func loadTargets(dir string, app *v1alpha1.Application, info kube.ResourceInfoProvider, tracking argo.ResourceTracking) ([]*unstructured.Unstructured, error) {
	include := "*.yaml"
	if d := app.Spec.GetSource().Directory; d != nil && d.Include != "" {
		include = d.Include
	}
	files, err := filepath.Glob(filepath.Join(dir, include))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var targets []*unstructured.Unstructured
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		objs, err := kube.SplitYAML(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, o := range objs {
			if o.GetNamespace() == "" {
				if namespaced, err := info.IsNamespaced(o.GroupVersionKind().GroupKind()); err == nil && namespaced {
					o.SetNamespace(app.Spec.Destination.Namespace)
				}
			}
			if !kube.IsCRD(o) {
				if err := tracking.SetAppInstance(o, cdcommon.LabelKeyAppInstance, app.InstanceName(argocdNS), app.Spec.Destination.Namespace, trackingMethod, installationID); err != nil {
					return nil, err
				}
			}
			targets = append(targets, o)
		}
	}
	return targets, nil
}

// validateSyncPermissions is controller/sync.go's check of every task against the AppProject.
func validateSyncPermissions(project *v1alpha1.AppProject, destCluster *v1alpha1.Cluster, un *unstructured.Unstructured, res *metav1.APIResource) error {
	if res == nil {
		return fmt.Errorf("failed to get API resource info for %s/%s: unable to verify permissions", un.GroupVersionKind().Group, un.GroupVersionKind().Kind)
	}
	if !project.IsGroupKindNamePermitted(un.GroupVersionKind().GroupKind(), un.GetName(), res.Namespaced) {
		return fmt.Errorf("resource %s:%s is not permitted in project %s", un.GroupVersionKind().Group, un.GroupVersionKind().Kind, project.Name)
	}
	if res.Namespaced {
		permitted, err := project.IsDestinationPermitted(destCluster, un.GetNamespace(), func(string) ([]*v1alpha1.Cluster, error) { return nil, nil })
		if err != nil {
			return err
		}
		if !permitted {
			return fmt.Errorf("namespace %v is not permitted in project '%s'", un.GetNamespace(), project.Name)
		}
	}
	return nil
}

// isSelfReferencedObj is controller/state.go's check that a live object's tracking id names it.
func isSelfReferencedObj(live, config *unstructured.Unstructured, appName string, tracking argo.ResourceTracking) bool {
	if live == nil {
		return true
	}
	var aiv argo.AppInstanceValue
	if config != nil {
		aiv = argo.UnstructuredToAppInstanceValue(config, appName, "")
	} else if ai := tracking.GetAppInstance(live, trackingMethod, installationID); ai != nil {
		aiv = *ai
	} else {
		return true
	}
	return (live.GetNamespace() == aiv.Namespace || live.GetNamespace() == "") &&
		live.GetName() == aiv.Name &&
		live.GroupVersionKind().Group == aiv.Group &&
		live.GroupVersionKind().Kind == aiv.Kind
}
