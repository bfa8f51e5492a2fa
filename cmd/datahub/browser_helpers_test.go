package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The browser tests drive Debian's chromium through the workflow pages and run
// axe-core on each page. Locally a missing browser or axe-core skips them; in
// CI (CI=true) it fails them, because there they must run.

const (
	browserLifetime = 5 * time.Minute  // the most one test's browser may live
	stepTimeout     = 30 * time.Second // the most one action may take
)

// axeScript is axe-core as npm installs it from web/package.json.
var axeScript = filepath.Join("..", "..", "web", "node_modules", "axe-core", "axe.min.js")

// wcagTags are the rule sets a page must pass: WCAG 2.1 A and AA (SPEC §3).
var wcagTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

// needBrowserTools skips the test on a machine without the tools and fails it in CI.
func needBrowserTools(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format+" (CI=true: the browser tests must run)", args...)
	}
	t.Skipf(format, args...)
}

// chromiumPath finds the browser: $DATAHUB_CHROMIUM, else chromium or chromium-browser on PATH.
func chromiumPath() string {
	if p := os.Getenv("DATAHUB_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browserOptions run a headless chromium that talks to loopback only: no proxy,
// no background traffic to Google, and every host name but 127.0.0.1 unresolvable.
func browserOptions(path string) []chromedp.ExecAllocatorOption {
	return append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // the tests may run as root
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 1024),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-field-trial-config", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees,OptimizationHints,MediaRouter,"+
			"DialMediaRouteProvider,AutofillServerCommunication,CertificateTransparencyComponentUpdater,"+
			"NetworkTimeServiceQuerying"),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"),
	)
}

// tab is one test's browser, with one tab.
type tab struct {
	t         *testing.T
	ctx       context.Context
	axe       string // axe-core's source
	shots     string // where screenshots go
	downloads string // where downloads go
	who       string // whose browser it is, which names its screenshots
	n         int    // screenshots taken, to number the files in order
	noScripts bool   // the pages' scripts do not run (newTabWithoutScripts)

	mu     sync.Mutex
	errors []pageError // what the pages logged as errors
}

// pageError is an error a page logged; broken ones (a script that threw, a
// CSP refusal) fail the test, the others (an HTTP error status, which the tests
// cause on purpose) are only shown.
type pageError struct {
	msg    string
	broken bool
}

// newTab starts a headless chromium for t, closed when t ends; who names its screenshots.
func newTab(t *testing.T, who string) *tab {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		needBrowserTools(t, "no chromium: install it (apt-get install chromium) or set DATAHUB_CHROMIUM")
	}
	axe, err := os.ReadFile(axeScript)
	if err != nil {
		needBrowserTools(t, "no axe-core (run npm ci --prefix web): %v", err)
	}
	life, cancelLife := context.WithTimeout(context.Background(), browserLifetime)
	alloc, cancelAlloc := chromedp.NewExecAllocator(life, browserOptions(path)...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelCtx(); cancelAlloc(); cancelLife() })

	b := &tab{t: t, ctx: ctx, axe: string(axe), shots: t.ArtifactDir(), downloads: t.TempDir(), who: who}
	// The first action starts the browser; it is bound to ctx, which has no step timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	if err := chromedp.Listen(ctx, b.record); err != nil {
		t.Fatalf("listen to the page: %v", err)
	}
	allow := true
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: b.downloads, EventsEnabled: &allow,
	}); err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	t.Logf("screenshots of %s's browser go to %s/%s-*.png (kept with go test -artifacts)", who, b.shots, who)
	t.Cleanup(func() {
		for _, e := range b.logged() {
			if e.broken {
				t.Errorf("a page logged: %s", e.msg)
			} else {
				t.Logf("a page logged: %s", e.msg)
			}
		}
	})
	return b
}

// newTabWithoutScripts is newTab with the pages' scripts switched off before
// the first page loads, as for a person who turned JavaScript off. DevTools
// can still evaluate scripts in the page, so the tests can still inspect it.
func newTabWithoutScripts(t *testing.T, who string) *tab {
	t.Helper()
	b := newTab(t, who)
	if _, err := chromedp.Call(b.ctx, emulation.SetScriptExecutionDisabled,
		emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("disable scripts: %v", err)
	}
	b.noScripts = true
	return b
}

// record keeps the errors the pages log: uncaught exceptions, console errors
// and the browser's own (a CSP refusal, an HTTP error status). It runs in the
// browser's read loop, so it only appends.
func (b *tab) record(ev any) {
	var e pageError
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		e = pageError{"exception: " + ev.ExceptionDetails.Text, true}
		if ev.ExceptionDetails.Exception != nil {
			e.msg += " " + ev.ExceptionDetails.Exception.Description
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
		}
		e = pageError{"console.error: " + strings.Join(parts, " "), true}
	case *log.EventEntryAdded:
		// Chromium asks every site for /favicon.ico; the pages name none.
		if ev.Entry.Level != log.EntryLevelError || strings.HasSuffix(ev.Entry.URL, "/favicon.ico") {
			return
		}
		e = pageError{fmt.Sprintf("%s: %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL),
			ev.Entry.Source != log.EntrySourceNetwork}
	default:
		return
	}
	b.mu.Lock()
	b.errors = append(b.errors, e)
	b.mu.Unlock()
}

func (b *tab) logged() []pageError {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]pageError(nil), b.errors...)
}

// step gives one action its own deadline, so a missing element fails fast and says which.
func (b *tab) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, stepTimeout)
}

// visit opens url, waits until the page and its components have rendered, and
// returns the HTTP status of the document.
func (b *tab) visit(url string) int64 {
	b.t.Helper()
	return b.load("visit "+url, chromedp.Navigate(url)).Status
}

// submit clicks the button with this id, waits for the page the form's POST
// leads to (after any redirect) and returns its HTTP status.
func (b *tab) submit(id string) int64 {
	b.t.Helper()
	return b.load("submit with #"+id, chromedp.Click(chromedp.ID(id), chromedp.NodeVisible)).Status
}

// follow clicks the link sel finds, waits for the page and returns its HTTP status.
func (b *tab) follow(sel string) int64 {
	b.t.Helper()
	return b.open(sel).Status
}

// open clicks the link sel finds, waits for what it leads to and returns the response.
func (b *tab) open(sel string) *network.Response {
	b.t.Helper()
	return b.load("follow "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// load runs an action that leads to a new document and waits until it has rendered.
func (b *tab) load(what string, action chromedp.Action[chromedp.Void]) *network.Response {
	b.t.Helper()
	from := b.url()
	ctx, cancel := b.step()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, action)
	if err != nil {
		b.t.Fatalf("%s on %s: %v", what, from, err)
	}
	b.settle()
	return resp
}

// settleScript resolves once the fonts have loaded and every GC Design System
// component on the page has rendered, so screenshots and axe see the real page.
const settleScript = `(async () => {
	await document.fonts.ready;
	const els = [...document.querySelectorAll('*')].filter(e => e.localName.startsWith('gcds-'));
	await Promise.all(els.map(async e => {
		await customElements.whenDefined(e.localName);
		if (e.componentOnReady) await e.componentOnReady();
	}));
	return els.length;
})()`

// fontsScript is settleScript for a page whose scripts do not run: no
// component will ever be defined, so only the fonts are waited for.
const fontsScript = `document.fonts.ready.then(() => 0)`

// settle waits for settleScript (fontsScript when the page's scripts are off).
func (b *tab) settle() {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	script := settleScript
	if b.noScripts {
		script = fontsScript
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](script, chromedp.EvalAwaitPromise)); err != nil {
		b.t.Fatalf("%s: the page's components did not render: %v", b.url(), err)
	}
}

// url is the address of the page the tab shows.
func (b *tab) url() string {
	ctx, cancel := b.step()
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "(unknown page: " + err.Error() + ")"
	}
	return u
}

// maxTaskHeight is the most a task page may measure at 1280 px wide: one task
// to a page, not the whole submission stacked.
const maxTaskHeight = 3000

// taskPage matches the address of a submission's task page.
var taskPage = regexp.MustCompile(`/flow/[^/]+/(metadata|file-check|approval-form|signed-approval|submit)(\?|$)`)

// check takes a screenshot of the page and runs axe on it: every page a test
// visits gets both, and a task page is measured.
func (b *tab) check(name string) {
	b.t.Helper()
	b.screenshot(name)
	if u := b.url(); taskPage.MatchString(u) {
		if h, _ := strconv.Atoi(b.eval(`String(document.documentElement.scrollHeight)`)); h > maxTaskHeight || h == 0 {
			b.t.Errorf("%s (%s) is %d px high at 1280 px wide, want at most %d", u, name, h, maxTaskHeight)
		}
	}
	if b.noScripts {
		b.axeWithScriptsOff()
		return
	}
	b.axeCheck()
}

// scriptsOffCheck returns why the page looks scripted, or "" when its scripts
// did not run: no component is defined and the plain-HTML header shows.
// (It runs through DevTools, which script switching does not govern.)
const scriptsOffCheck = `(() => {
	if (customElements.get('gcds-header') !== undefined) return 'gcds-header is defined: the page ran its scripts';
	const host = document.querySelector('gcds-header');
	if (!host) return 'no gcds-header';
	if (host.shadowRoot) return 'gcds-header has rendered its shadow DOM';
	const h = document.querySelector('.dh-header');
	if (!h || h.getClientRects().length === 0 || getComputedStyle(h).visibility === 'hidden')
		return 'the plain-HTML header .dh-header is not shown';
	return '';
})()`

// axeWithScriptsOff runs axe on the page as it loaded without scripts. axe-core
// schedules its work with setTimeout, and no timer fires while the page's
// scripts are off, so they are switched on for the run alone. The page's own
// scripts were skipped as it loaded and do not run later; scriptsOffCheck,
// after the run, fails the test if they did.
func (b *tab) axeWithScriptsOff() {
	b.t.Helper()
	b.scripts(true)
	b.axeCheck()
	b.scripts(false)
	if msg := b.eval(scriptsOffCheck); msg != "" {
		b.t.Fatalf("%s after the axe run: %s", b.url(), msg)
	}
}

// scripts switches the page's scripts on or off.
func (b *tab) scripts(on bool) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled,
		emulation.SetScriptExecutionDisabledParams{Value: !on}); err != nil {
		b.t.Fatalf("switch scripts on=%v: %v", on, err)
	}
}

// screenshot saves the whole page as WHO-NN-name.png in the test's artifact folder.
func (b *tab) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	b.n++
	file := filepath.Join(b.shots, fmt.Sprintf("%s-%02d-%s.png", b.who, b.n, name))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// axeViolation is what axe-core reports of one broken rule.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  any    `json:"target"` // selectors, nested in arrays for shadow DOM
		HTML    string `json:"html"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// axeRun runs the WCAG 2.1 A and AA rules on the whole document.
var axeRun = fmt.Sprintf(`axe.run(document, {runOnly: {type: 'tag', values: %s}, resultTypes: ['violations']})
	.then(r => r.violations)`, jsStrings(wcagTags))

// axeCheck injects axe-core through DevTools (which the page's CSP does not
// govern) and fails the test with every violation it finds.
func (b *tab) axeCheck() {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](b.axe)); err != nil {
		b.t.Fatalf("inject axe-core into %s: %v", b.url(), err)
	}
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("run axe on %s: %v", b.url(), err)
	}
	if len(vs) == 0 {
		return
	}
	var report strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&report, "\n  %s (%s): %s", v.ID, v.Impact, v.Help)
		for _, n := range v.Nodes {
			fmt.Fprintf(&report, "\n    at %v: %s\n      %s", n.Target, n.HTML,
				strings.ReplaceAll(n.Summary, "\n", "\n      "))
		}
	}
	b.t.Errorf("axe: %d WCAG 2.1 AA violation(s) on %s:%s", len(vs), b.url(), report.String())
}

// fill sets the value of the control sel finds (an input, textarea or single select).
func (b *tab) fill(sel, value string) {
	b.t.Helper()
	b.do("fill "+sel, chromedp.SetValue(chromedp.CSS(sel), value))
}

// tick checks the checkbox or radio button sel finds, by clicking it as a person would.
func (b *tab) tick(sel string) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	on, err := chromedp.Run(ctx, chromedp.JavascriptAttribute[bool](chromedp.CSS(sel), "checked"))
	if err != nil {
		b.t.Fatalf("read %s on %s: %v", sel, b.url(), err)
	}
	if !on {
		b.do("tick "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	}
}

func jsStrings(vs []string) string {
	quoted := make([]string, len(vs))
	for i, v := range vs {
		quoted[i] = fmt.Sprintf("%q", v)
	}
	return "[" + strings.Join(quoted, ",") + "]"
}

// text returns the rendered text of the element sel finds.
func (b *tab) text(sel string) string {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s on %s: %v", sel, b.url(), err)
	}
	return s
}

// attr returns an attribute of the element sel finds, and whether it has it.
func (b *tab) attr(sel, name string) (string, bool) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	r, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil {
		b.t.Fatalf("attribute %s of %s on %s: %v", name, sel, b.url(), err)
	}
	return r.Value, r.Exists
}

// has reports whether the page has an element sel finds, without waiting for one.
func (b *tab) has(sel string) bool {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q) !== null`, sel)))
	if err != nil {
		b.t.Fatalf("look for %s on %s: %v", sel, b.url(), err)
	}
	return ok
}

// upload puts a file into the file input sel finds.
func (b *tab) upload(sel, file string) {
	b.t.Helper()
	abs, err := filepath.Abs(file)
	if err != nil {
		b.t.Fatal(err)
	}
	b.do("upload into "+sel, chromedp.SetUploadFiles(chromedp.CSS(sel), []string{abs}))
}

// download clicks the link with this id and returns the file the browser saved.
func (b *tab) download(id string) []byte {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	progress := chromedp.BrowserEvents(ctx, browser.DownloadProgress)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID(id), chromedp.NodeVisible)); err != nil {
		b.t.Fatalf("click #%s on %s: %v", id, b.url(), err)
	}
	for ev, err := range progress {
		if err != nil {
			b.t.Fatalf("download from #%s: %v", id, err)
		}
		switch ev.State {
		case browser.DownloadProgressStateCompleted:
			data, err := os.ReadFile(filepath.Join(b.downloads, ev.GUID))
			if err != nil {
				b.t.Fatalf("read the download: %v", err)
			}
			return data
		case browser.DownloadProgressStateCanceled:
			b.t.Fatalf("the download from #%s was canceled", id)
		}
	}
	b.t.Fatalf("no download from #%s", id)
	return nil
}

// eval runs a script in the page and returns its result as a string; a promise is awaited.
func (b *tab) eval(script string) string {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](script, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("script on %s: %v", b.url(), err)
	}
	return s
}

func (b *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("not found or not ready within %s", stepTimeout)
		}
		b.t.Fatalf("%s on %s: %v", what, b.url(), err)
	}
}
