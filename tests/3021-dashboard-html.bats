#!/usr/bin/env bats
# 3021: esctl dashboard --html - one self-contained page, checked as text
# and rendered by Debian's headless Chromium (tests/lib/browser drives it
# over the DevTools protocol): chart points and threshold lines counted,
# no console error, no request outside the page, phone width and print.
# Screenshots are kept in $DASH_ARTIFACTS.

load lib/common
load lib/pool
load lib/dashboard

setup() {
	common_setup
	dash_fixture
	export ESCTL_NOW=$DASH_NOW
	PAGE=$BATS_TEST_TMPDIR/dash.html
}

@test "--html writes one self-contained page with every part" {
	run -0 esctl dashboard --html "$PAGE"
	assert_output "wrote '$PAGE'"
	[ "$(stat -c %a "$PAGE")" = 644 ]
	# nothing to fetch: no script, no link, no src, no url()
	run ! grep -Eiq '<script|<link|<img|<iframe|src=|href=|url\(|@import' "$PAGE"
	# a CSP forbids any fetch even if something slipped through
	grep -q "Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\"" "$PAGE"
	for id in cards pending trends chart-cpu chart-mem strategies pie orders; do
		grep -q "id=\"$id\"" "$PAGE" || fail "no #$id"
	done
	grep -q '@media print' "$PAGE"
	grep -q 'name="viewport"' "$PAGE"
	# stdout too, byte for byte the same page
	run -0 esctl dashboard --html -
	diff "$PAGE" - <<<"$output"
}

@test "user input is escaped: hostile names are text, not markup" {
	sql "UPDATE k8s_cluster SET clustername = 'a\"b''c<img src=x onerror=alert(1)>' WHERE id = 1"
	run -0 esctl dashboard --html "$PAGE"
	run ! grep -q '<script>alert' "$PAGE"
	run ! grep -q '<img' "$PAGE"
	grep -q '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;' "$PAGE"
	grep -q 'a&quot;b&#39;c&lt;img src=x onerror=alert(1)&gt;' "$PAGE"
	grep -q '东京-集群' "$PAGE"
}

@test "a bad path fails and leaves nothing behind" {
	run -1 --separate-stderr esctl dashboard --html "$BATS_TEST_TMPDIR/no/such/dir/x.html"
	[[ $stderr == "esctl: error: "* ]]
	[ ! -e "$BATS_TEST_TMPDIR/no" ]
	run -2 esctl dashboard --html "$PAGE" --range 2d
	[ ! -e "$PAGE" ]
}

@test "Chromium: charts have every point and threshold, no error, no request" {
	esctl dashboard --html "$PAGE" >/dev/null
	mkdir -p "$DASH_ARTIFACTS"
	browser --width 1280 --screenshot "$DASH_ARTIFACTS/dashboard-html.png" \
	    --step "document.querySelectorAll('#chart-cpu circle.usage').length" \
	    --step "document.querySelectorAll('#chart-cpu circle.alloc').length" \
	    --step "document.querySelectorAll('#chart-mem circle.usage').length" \
	    --step "document.querySelectorAll('#chart-cpu line.th').length" \
	    --step "document.querySelectorAll('#chart-mem line.th').length" \
	    --step "document.querySelectorAll('#pie .slice').length" \
	    --step "document.querySelectorAll('#pending .order').length" \
	    --step "document.querySelectorAll('#orders tbody tr').length" \
	    --step "document.scripts.length" \
	    --step "document.querySelector('#strategies tbody tr:nth-child(2) td').textContent" \
	    --step "document.querySelector('#chart-cpu line.th').getAttribute('y1')" \
	    --step "document.querySelector('#chart-cpu circle.usage title').textContent" \
	    "file://$PAGE"
	r=$output
	[ "$(jq -c .steps <<<"$r")" = '[48,48,48,1,1,5,3,7,0,"<script>alert(\"x\")</script>","54.0","2024-03-01T12:00:00Z — usage 30.0%"]' ]
	[ "$(jq -c .console_errors <<<"$r")" = '[]' ]
	[ "$(jq -c .dialogs <<<"$r")" = '[]' ]
	[ "$(jq -c .requests <<<"$r")" = "[\"file://$PAGE\"]" ]
	[ -s "$DASH_ARTIFACTS/dashboard-html.png" ]
}

@test "Chromium: readable at phone width and in print" {
	esctl dashboard --html "$PAGE" >/dev/null
	mkdir -p "$DASH_ARTIFACTS"
	browser --width 390 --height 800 \
	    --screenshot "$DASH_ARTIFACTS/dashboard-html-phone.png" \
	    --step "document.documentElement.scrollWidth" \
	    --step "getComputedStyle(document.querySelector('#cards')).gridTemplateColumns.split(' ').length" \
	    "file://$PAGE"
	[ "$(jq -c .steps <<<"$output")" = '[390,1]' ]
	browser --media print \
	    --step "getComputedStyle(document.querySelector('header')).backgroundColor" \
	    "file://$PAGE"
	[ "$(jq -c .steps <<<"$output")" = '["rgb(255, 255, 255)"]' ]
}
