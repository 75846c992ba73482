#!/usr/bin/env bats
# 3023: esctl dashboard serve - the live page on lib/httpd: polling JSON
# endpoint, read-only by default; with --allow-actions an approve click in
# headless Chromium changes the order in the database, and without the
# bearer token (401) or the CSRF token (403) nothing changes; TLS.

load lib/common
load lib/pool
load lib/dashboard

setup() {
	common_setup
	dash_fixture
	export ESCTL_NOW=$DASH_NOW USER=operator
	T=$BATS_TEST_TMPDIR
}

teardown() {
	if [ -f "$T/serve.pid" ]; then
		kill "$(cat "$T/serve.pid")" 2>/dev/null || true
		wait "$(cat "$T/serve.pid")" 2>/dev/null || true
	fi
}

# Starts esctl dashboard serve ARGS... on a free port; sets ADDR (the
# address it printed) and URL.
start_serve() {
	"$ESCTL_BIN" dashboard serve --listen 127.0.0.1:0 "$@" > "$T/serve.out" \
	    2> "$T/serve.err" 3>&- &
	echo $! > "$T/serve.pid"
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q '^serving' "$T/serve.out" 2>/dev/null && break
		sleep 0.1
	done
	ADDR=$(sed -n 's|^serving the work-bench on https\{0,1\}://\([^/]*\)/.*|\1|p' "$T/serve.out")
	[ -n "$ADDR" ] || { cat "$T/serve.err" >&2; return 1; }
	URL=http://$ADDR
}

config_token() {
	mkdir -p "$XDG_CONFIG_HOME/esctl"
	printf 'dashboard:\n  token: s3cret-token\n' > "$XDG_CONFIG_HOME/esctl/config.yaml"
}

csrf() {
	curl -s "$URL/" | sed -n 's/.*<meta name="csrf-token" content="\([0-9a-f]*\)".*/\1/p'
}

status_of() {
	sql "SELECT status FROM elastic_scaling_order WHERE order_number = '$1'"
}

@test "read-only by default: page and JSON endpoint, no buttons, actions 403" {
	start_serve
	grep -qx "serving the work-bench on http://$ADDR/ (read-only)" "$T/serve.out"
	run -0 curl -sf "$URL/"
	assert_output --partial '<main id="main"'
	refute_output --partial 'data-action='
	refute_output --partial '<meta name="csrf-token"'
	run -0 curl -sf "$URL/api/dashboard"
	[ "$(jq -r .data.cards.pending_orders.total <<<"$output")" = 3 ]
	[[ $(jq -r .main <<<"$output") == '<main id="main"'* ]]
	run -0 curl -s -o /dev/null -w '%{http_code}' -X POST \
	    -H 'Content-Type: application/json' -d '{"confirm":true}' \
	    "$URL/api/orders/ESO-20240302-000001/approve"
	[ "$output" = 403 ]
	[ "$(status_of ESO-20240302-000001)" = pending ]
}

@test "actions: token, CSRF and confirmation are each required" {
	config_token
	start_serve --allow-actions
	# a configured token is never printed
	run ! grep -q s3cret "$T/serve.out"
	c=$(csrf)
	[ ${#c} = 48 ]
	post() {
		curl -s -o "$T/body" -w '%{http_code}' -X POST \
		    -H 'Content-Type: application/json' "$@"
	}
	u=$URL/api/orders/ESO-20240302-000001/approve
	run -0 post -H "X-CSRF-Token: $c" -d '{"confirm":true}' "$u"
	[ "$output" = 401 ]
	run -0 post -H 'Authorization: Bearer wrong' -H "X-CSRF-Token: $c" -d '{"confirm":true}' "$u"
	[ "$output" = 401 ]
	run -0 post -H 'Authorization: Bearer s3cret-token' -d '{"confirm":true}' "$u"
	[ "$output" = 403 ]
	run -0 post -H 'Authorization: Bearer s3cret-token' -H 'X-CSRF-Token: 00' -d '{"confirm":true}' "$u"
	[ "$output" = 403 ]
	run -0 post -H 'Authorization: Bearer s3cret-token' -H "X-CSRF-Token: $c" -d '{}' "$u"
	[ "$output" = 400 ]
	[ "$(status_of ESO-20240302-000001)" = pending ]
	[ "$(sql "SELECT count(*) FROM order_event")" = 0 ]
	run -0 post -H 'Authorization: Bearer s3cret-token' -H "X-CSRF-Token: $c" -d '{"confirm":true}' "$u"
	[ "$output" = 200 ]
	[ "$(jq -r .message "$T/body")" = "order ESO-20240302-000001 approved (processing)" ]
	[ "$(status_of ESO-20240302-000001)" = processing ]
	# the same order again: the compare-and-set refuses, 409
	run -0 post -H 'Authorization: Bearer s3cret-token' -H "X-CSRF-Token: $c" -d '{"confirm":true}' "$u"
	[ "$output" = 409 ]
	[ "$(jq -r .error.message "$T/body")" = "order ESO-20240302-000001 is processing, not pending" ]
	# reject needs its reason, like order reject
	r=$URL/api/orders/ESO-20240302-000003/reject
	run -0 post -H 'Authorization: Bearer s3cret-token' -H "X-CSRF-Token: $c" -d '{"confirm":true}' "$r"
	[ "$output" = 400 ]
	run -0 post -H 'Authorization: Bearer s3cret-token' -H "X-CSRF-Token: $c" -d '{"confirm":true,"reason":"not now"}' "$r"
	[ "$output" = 200 ]
	[ "$(status_of ESO-20240302-000003)" = cancelled ]
}

@test "Chromium: an approve click changes the order; no token: 401, nothing changes" {
	config_token
	start_serve --allow-actions --interval 1s
	mkdir -p "$DASH_ARTIFACTS"
	btn="document.querySelector('[data-order=\"ESO-20240302-000001\"] button[data-action=approve]')"
	# without the token: the click is refused and nothing changes
	browser --step "$btn.click()" \
	    --step "wait:document.body.dataset.last === '401'" \
	    --step "document.getElementById('status').textContent" \
	    "$URL/"
	[ "$(jq -c .steps <<<"$output")" = '[null,true,"approve refused: missing bearer token (Authorization: Bearer TOKEN)"]' ]
	# the only console message is the browser's own about the 401
	[ "$(jq -c .console_errors <<<"$output")" = '["Failed to load resource: the server responded with a status of 401 (Unauthorized)"]' ]
	[ "$(status_of ESO-20240302-000001)" = pending ]
	[ "$(sql "SELECT count(*) FROM order_event")" = 0 ]
	# with the token (in the URL fragment, never sent to the server)
	browser --screenshot "$DASH_ARTIFACTS/dashboard-serve.png" \
	    --step "document.querySelectorAll('#pending .order').length" \
	    --step "document.querySelectorAll('#chart-cpu circle.usage').length" \
	    --step "document.querySelectorAll('#chart-mem line.th').length" \
	    --step "location.hash" \
	    --step "$btn.click()" \
	    --step "wait:document.body.dataset.last === '200'" \
	    --step "wait:document.querySelectorAll('#pending .order').length === 2" \
	    --step "document.getElementById('status').textContent" \
	    "$URL/#token=s3cret-token"
	r=$output
	[ "$(jq -c .steps <<<"$r")" = '[3,48,1,"",null,true,true,"order ESO-20240302-000001 approved (processing)"]' ]
	[ "$(jq -c .dialogs <<<"$r")" = '["approve order ESO-20240302-000001?"]' ]
	[ "$(jq -c .console_errors <<<"$r")" = '[]' ]
	# every request went to the page's own server
	[ "$(jq -r --arg u "$URL/" '[.requests[] | select(startswith($u) | not)] | length' <<<"$r")" = 0 ]
	[ "$(status_of ESO-20240302-000001)" = processing ]
	[ "$(sql "SELECT approver FROM elastic_scaling_order WHERE id = 1")" = operator ]
	# the server's log never saw the token in a URL
	run ! grep -q s3cret "$T/serve.out" "$T/serve.err"
}

@test "Chromium: the page refreshes in place from the JSON endpoint" {
	start_serve --interval 1s
	browser --step "document.querySelectorAll('#pending .order').length" \
	    --step "fetch('/api/dashboard').then(r => r.ok)" \
	    "$URL/"
	[ "$(jq -c '.steps[0:2]' <<<"$output")" = '[3,true]' ]
	sql "UPDATE elastic_scaling_order SET status = 'cancelled' WHERE id = 3"
	browser --step "document.querySelectorAll('#pending .order').length" \
	    "$URL/"
	[ "$(jq -c .steps <<<"$output")" = '[2]' ]
	# and a page left open picks a change up without reloading
	browser --step "document.querySelectorAll('#pending .order').length" \
	    --step "run:sqlite3 $ESCTL_DB \"UPDATE elastic_scaling_order SET status = 'cancelled' WHERE id = 2\"" \
	    --step "wait:document.querySelectorAll('#pending .order').length === 1" \
	    --step "document.querySelectorAll('#pending .order').length" \
	    "$URL/"
	[ "$(jq -c .steps <<<"$output")" = '[2,0,true,1]' ]
	# it polled the JSON endpoint
	[ "$(jq -r --arg u "$URL/api/dashboard" '[.requests[] | select(. == $u)] | length > 0' <<<"$output")" = true ]
	[ "$(jq -c .console_errors <<<"$output")" = '[]' ]
}

@test "generated token printed once; TLS with a certificate" {
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	    -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
	start_serve --allow-actions --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
	grep -qx "serving the work-bench on https://$ADDR/ (actions allowed)" "$T/serve.out"
	tok=$(sed -n 's|^actions token (generated for this run): open https://[^#]*#token=\([0-9a-f]*\)$|\1|p' "$T/serve.out")
	[ ${#tok} = 48 ]
	run -0 curl -sf --cacert "$T/cert.pem" "https://$ADDR/api/dashboard"
	[ "$(jq -r .data.cards.pending_orders.total <<<"$output")" = 3 ]
	run ! curl -sf "http://$ADDR/api/dashboard"
	c=$(curl -s --cacert "$T/cert.pem" "https://$ADDR/" | sed -n 's/.*<meta name="csrf-token" content="\([0-9a-f]*\)".*/\1/p')
	run -0 curl -s --cacert "$T/cert.pem" -o /dev/null -w '%{http_code}' -X POST \
	    -H 'Content-Type: application/json' -H "Authorization: Bearer $tok" \
	    -H "X-CSRF-Token: $c" -d '{"confirm":true}' \
	    "https://$ADDR/api/orders/ESO-20240302-000002/approve"
	[ "$output" = 200 ]
	[ "$(status_of ESO-20240302-000002)" = processing ]
}

@test "bad TLS and listen options are refused before listening" {
	run -2 --separate-stderr esctl dashboard serve --tls-cert /nonexistent
	[ "$stderr" = "esctl: error: TLS needs both a certificate and a key (--tls-cert and --tls-key)" ]
	run -2 --separate-stderr esctl dashboard serve --listen nonsense
	[[ $stderr == "esctl: error: "* ]]
	run -2 --separate-stderr esctl dashboard serve --range 1y
	[ "$stderr" = "esctl: error: invalid range '1y': use 24h, 7d or 30d" ]
}
