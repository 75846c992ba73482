#!/usr/bin/env bats
# 2004: GitLab configuration through libgit2 - real repositories served by
# git-http-backend over smart HTTP on loopback (basic-auth token, TLS) and
# file:// repositories; esctl config pull.

load lib/common
load lib/lifecycle

setup() {
	common_setup
	unset ESCTL_GITLAB_TOKEN
	make_repo conf
}

teardown() {
	lifecycle_teardown
}

@test "config pull over smart HTTP with a token: commit, values, manifests" {
	start_git_server --token s3cret-token
	local want
	want=$(tgit -C "$REPO_SRC" rev-parse HEAD)
	ESCTL_GITLAB_TOKEN=s3cret-token run -0 --separate-stderr \
	    esctl config pull "$GIT_URL/conf.git" -o json
	assert_equal "$(jq -r .commit <<<"$output")" "$want"
	assert_equal "$(jq -r .ref <<<"$output")" main
	assert_equal "$(jq -r .values.defaults.replicas <<<"$output")" 2
	assert_equal "$(jq -r '.manifests[0]' <<<"$output")" \
	    manifests/10-extra.yaml
	# the token appears nowhere
	[[ $output != *s3cret-token* && $stderr != *s3cret-token* ]]
	# the server asked, then saw the token as basic auth of user oauth2
	[ "$(log_count "$GIT_LOG" '.status == 401')" -ge 1 ]
	[ "$(log_count "$GIT_LOG" '.authorized and .user == "oauth2"')" -ge 2 ]
	# the clone is in the data directory, private
	local cache
	cache=$(jq -r .cache <<<"$output")
	[[ $cache == "$ESCTL_DATA_DIR/git/"* ]]
	[ -f "$cache/HEAD" ]
	[ "$(stat -c %a "$ESCTL_DATA_DIR/git")" = 700 ]
}

@test "every file and directory of the git cache is private (0700/0600)" {
	umask 022
	run -0 esctl config pull "file://$REPO_BARE" -o json
	local cache
	cache=$(jq -r .cache <<<"$output")
	[ -d "$cache/hooks" ]
	# a fetch that brings new objects too
	push_change "second"
	run -0 esctl config pull "file://$REPO_BARE"
	run -0 find "$ESCTL_DATA_DIR/git" -perm /077 -printf '%m %p\n'
	assert_output ''
	[ "$(stat -c %a "$cache")" = 700 ]
	[ "$(stat -c %a "$cache/HEAD")" = 600 ]
	[ "$(stat -c %a "$cache/hooks")" = 700 ]
}

@test "token from gitlab.token_file or gitlab.token, user from gitlab.username" {
	start_git_server --token tok-2 --user deploy
	echo tok-2 > "$BATS_TEST_TMPDIR/token"
	write_config <<-EOF
	gitlab:
	  url: $GIT_URL/conf.git
	  token_file: $BATS_TEST_TMPDIR/token
	  username: deploy
	EOF
	run -0 esctl config pull -o json
	assert_equal "$(jq -r .url <<<"$output")" "$GIT_URL/conf.git"
	write_config <<-EOF
	gitlab:
	  url: $GIT_URL/conf.git
	  token: tok-2
	  username: deploy
	EOF
	run -0 esctl config pull
	[ "$(log_count "$GIT_LOG" '.authorized and .user == "deploy"')" -ge 3 ]
}

@test "wrong or missing credentials: exit 7, token never shown, nothing cached" {
	start_git_server --token right
	ESCTL_GITLAB_TOKEN=wrong-token run -7 --separate-stderr \
	    esctl config pull "$GIT_URL/conf.git"
	[[ $stderr == *"authentication failed: the token was rejected"* ]]
	[[ $stderr != *wrong-token* ]]
	run -7 --separate-stderr esctl config pull "$GIT_URL/conf.git"
	[[ $stderr == *"no token configured"* ]]
	# credentials in the URL are used but never echoed
	run -7 --separate-stderr esctl config pull \
	    "http://x:bad-in-url@127.0.0.1:$GIT_PORT/conf.git"
	[[ $stderr != *bad-in-url* ]]
	[[ $stderr == *"'$GIT_URL/conf.git'"* ]]
	# no clone was left behind
	run ls "$ESCTL_DATA_DIR/git"
	refute_output --regexp '^[0-9a-f]{16}$'
	refute_output --partial tmp
}

@test "later runs fetch: a new commit is seen" {
	start_git_server
	run -0 esctl config pull "$GIT_URL/conf.git" -o json
	local first
	first=$(jq -r .commit <<<"$output")
	push_change "second"
	run -0 esctl config pull "$GIT_URL/conf.git" -o json
	assert_equal "$(jq -r .commit <<<"$output")" \
	    "$(tgit -C "$REPO_SRC" rev-parse HEAD)"
	[ "$(jq -r .commit <<<"$output")" != "$first" ]
}

@test "#ref, #ref:path, --ref and --path, tags and commits" {
	start_git_server
	mkdir -p "$REPO_SRC/prod/manifests"
	printf 'defaults:\n  replicas: 5\n' > "$REPO_SRC/prod/esctl.yaml"
	cp "$REPO_SRC/manifests/10-extra.yaml" "$REPO_SRC/prod/manifests/a.yml"
	tgit -C "$REPO_SRC" add -A
	tgit -C "$REPO_SRC" commit -qm prod
	tgit -C "$REPO_SRC" push -q "$REPO_BARE" main
	run -0 esctl config pull "$GIT_URL/conf.git#main:prod" -o json
	assert_equal "$(jq -r .values.defaults.replicas <<<"$output")" 5
	assert_equal "$(jq -r '.manifests[0]' <<<"$output")" prod/manifests/a.yml
	run -0 esctl config pull "$GIT_URL/conf.git#v1" -o json
	assert_equal "$(jq -r .commit <<<"$output")" \
	    "$(tgit -C "$REPO_SRC" rev-parse v1)"
	assert_equal "$(jq -r .values.defaults.replicas <<<"$output")" 2
	local sha
	sha=$(tgit -C "$REPO_SRC" rev-parse v1)
	run -0 esctl config pull "$GIT_URL/conf.git" --ref "${sha:0:10}" \
	    --path / -o json
	assert_equal "$(jq -r .commit <<<"$output")" "$sha"
	run -3 --separate-stderr esctl config pull "$GIT_URL/conf.git#nope"
	[[ $stderr == *"ref 'nope' not found"* ]]
	run -3 --separate-stderr esctl config pull "$GIT_URL/conf.git#main:no/dir"
	[[ $stderr == *"path 'no/dir' is not a directory"* ]]
}

@test "file:// repositories" {
	run -0 esctl config pull "file://$REPO_BARE" -o json
	assert_equal "$(jq -r .commit <<<"$output")" \
	    "$(tgit -C "$REPO_SRC" rev-parse HEAD)"
}

@test "bad URLs: exit 2 without network; unreachable server: exit 6" {
	run -2 --separate-stderr esctl config pull ftp://127.0.0.1/conf.git
	[[ $stderr == *"scheme 'ftp' is not supported"* ]]
	run -2 --separate-stderr esctl config pull "https:///conf.git"
	[[ $stderr == *"no host"* ]]
	run -2 --separate-stderr esctl config pull "gitlab.example.com/x.git"
	[[ $stderr == *"invalid GitLab URL"* ]]
	run -2 --separate-stderr esctl config pull "file://relative/x.git"
	run -6 --separate-stderr esctl config pull "http://127.0.0.1:$(free_port)/conf.git"
	[[ $stderr == *"cannot reach GitLab repository"* ]]
	start_git_server
	run -6 --separate-stderr esctl config pull "$GIT_URL/missing.git"
	[[ $stderr == *"repository not found"* ]]
}

@test "esctl.yaml is checked: unknown keys with file:line:col" {
	printf 'defaults:\n  replicas: 2\nimagez:\n  x: y\n' > "$REPO_SRC/esctl.yaml"
	tgit -C "$REPO_SRC" commit -qam typo
	tgit -C "$REPO_SRC" push -q "$REPO_BARE" main
	run -2 --separate-stderr esctl config pull "file://$REPO_BARE"
	[[ $stderr == *"esctl.yaml:3:1: unknown key 'imagez'"* ]]
}

@test "TLS: an untrusted certificate fails, gitlab.ca_file trusts it" {
	make_cert
	start_git_server --tls-cert "$TLS_CERT" --tls-key "$TLS_KEY"
	run -6 --separate-stderr esctl config pull "$GIT_URL/conf.git"
	[[ $stderr == *"certificate"* ]]
	write_config <<-EOF
	gitlab:
	  ca_file: $TLS_CERT
	EOF
	run -0 esctl config pull "$GIT_URL/conf.git" -o json
	assert_equal "$(jq -r .commit <<<"$output")" \
	    "$(tgit -C "$REPO_SRC" rev-parse HEAD)"
	write_config <<-EOF
	gitlab:
	  insecure_skip_tls_verify: true
	EOF
	run -0 esctl config pull "$GIT_URL/conf.git"
}
