#!/bin/sh
# env.sh: end-to-end checks of `netc env cartpole`: the JSON lines (17
# significant digits, the values of gym's equations), termination, the
# v0/v1 step limits, seeding, and the exit codes: 1 for a refused step (an
# action other than 0 or 1, a step after the episode ended), 2 for a usage
# error. Run by `make check`, which sets top_builddir; to add a check,
# call `expect` and then `contains` or `lines`.

: "${top_srcdir:=.}"
: "${top_builddir:=.}"
netc=$top_builddir/netc

name=env
. "$top_srcdir/tests/check_lib.sh"


# expect STATUS ARGS...: see run_expect in tests/check_lib.sh.
expect() { _status=$1; shift; run_expect "$_status" "$netc" env "$@"; }

# lines N: the last command printed N lines on stdout.
lines() {
  n=$(wc -l <"$tmp/out")
  [ "$n" -eq "$1" ] || fail "$what: $n lines on stdout, expected $1"
}

# ------------------------------------------------------------ dynamics

# gym's step code, run in Python from this start, prints these values.
expect 0 cartpole --init 0.01,-0.02,0.03,0.04 --actions 1001110100
lines 11
contains out '{"step":0,"state":[0.01,-0.02,0.029999999999999999,0.040000000000000001]}'
contains out '{"step":1,"state":[0.0096000000000000009,0.17467919574755525,0.030799999999999998,-0.24306871796000809],"reward":1.0,"done":false,"truncated":false}'
contains out '{"step":5,"state":[0.0079166125310749496,0.17298676004769037,0.035838631046105324,-0.20574851582677406],'
contains out '{"step":10,"state":[0.032933837065700737,-0.023799624602329011,0.0054623041616948635,0.12379799946559022],'

# always pushing right, the pole falls on step 10; step 11 is refused
expect 1 cartpole --init 0.01,-0.02,0.03,0.04 --actions 11111111111
lines 11
contains out '{"step":10,"state":[0.18148412486073115,1.9330643896994748,-0.2235691808247548,-2.984082745435586],"reward":1.0,"done":true,"truncated":false}'
contains err "step 11: the episode is over: the pole fell"
contains err "reset"
expect 0 cartpole --init 0.01,-0.02,0.03,0.04 --actions 1111111111
lines 11

# the cart leaves the track
expect 1 cartpole --init 2.39,1,0,0 --actions 00
contains out '"done":true'
contains err "the cart left the track"

# ---------------------------------------------------------- step limits

# a balancing policy's actions from the upright start, 500 of them
balanced=$(tr -d ' \n' <<'ACTIONS'
  01101001100101101001011010010110100101100110100101
  10100101101001011010011001011010010110100101101001
  10010110100101100110100110010110011010010110100110
  01011010010110011010010110100101101001100101101001
  01101001011010011001011010010110011010011001011010
  01011001101001011010010110100101101001011010010110
  10010110100101101001100101101001011001101001100101
  10011010010110100110010110100101101001011010010110
  10010110100101101001100101101001011010010110100101
  10100101101001011001101001011010010110100110010110
ACTIONS
)
first200=$(printf '%s' "$balanced" | cut -c1-200)
expect 0 cartpole --init 0,0,0,0 --actions "$first200"
lines 201
contains out '{"step":200,'
contains out '"done":false,"truncated":true}'
expect 1 cartpole --init 0,0,0,0 --actions "${first200}0"
contains err "step 201: the episode is over: it reached the 200-step limit of CartPole-v0"
expect 0 cartpole --v1 --init 0,0,0,0 --actions "$balanced"
lines 501
[ "$(grep -c '"truncated":true' "$tmp/out")" -eq 1 ] ||
  fail "$what: truncated other than on step 500"
contains out '{"step":500,'
expect 1 cartpole --v1 --init 0,0,0,0 --actions "${balanced}1"
contains err "500-step limit of CartPole-v1"

# ------------------------------------------------------------- seeding

expect 0 cartpole --seed 7 --actions 0110
lines 5
cp "$tmp/out" "$tmp/seed7"
expect 0 cartpole --seed 7 --actions 0110
cmp -s "$tmp/out" "$tmp/seed7" || fail "$what: differs from the same seed's run"
expect 0 cartpole --seed 8 --actions 0110
cmp -s "$tmp/out" "$tmp/seed7" && fail "$what: seeds 7 and 8 start alike"
# the start state: four values in [-0.05, 0.05), 17 significant digits
start=$(sed -n 's/^{"step":0,"state":\[\(.*\)\]}$/\1/p' "$tmp/seed7")
[ -n "$start" ] || fail "seed 7: no start state line"
for v in $(echo "$start" | tr ',' ' '); do
  awk -v v="$v" 'BEGIN { exit !(v >= -0.05 && v < 0.05) }' ||
    fail "seed 7: start value $v outside [-0.05, 0.05)"
  digits=$(echo "$v" | sed 's/e.*//; s/[-.]//g; s/^0*//')
  [ "${#digits}" -ge 15 ] || fail "seed 7: start value $v has few digits"
done
expect 0 cartpole --actions ''
lines 1

# -------------------------------------------------------------- errors

expect 1 cartpole --init 0,0,0,0 --actions 0120
lines 3
contains err "step 3: action 2 is not 0 (push left) or 1 (push right)"
expect 2
contains err "usage: netc env cartpole"
expect 2 pendulum --actions 01
contains err "unknown environment 'pendulum'"
expect 2 cartpole
contains err "needs --actions"
expect 2 cartpole --actions 01x
contains err "got 'x' at position 3"
expect 2 cartpole --seed 1 --init 0,0,0,0 --actions 0
contains err "give one"
expect 2 cartpole --init 0,0,0 --actions 0
contains err "4 comma-separated"
expect 2 cartpole --init 0,0,0,nan --actions 0
expect 2 cartpole --seed -1 --actions 0
contains err "--seed needs a whole number"
expect 2 cartpole --seed
contains err "--seed needs a value"
expect 2 cartpole --actions 0 --speed 3
contains err "unknown option '--speed'"
expect 2 cartpole --actions 0 extra
contains err "unexpected argument 'extra'"
expect 0 cartpole --help
contains out "usage: netc env cartpole"
expect 0 --help
contains out "--actions"

finish
