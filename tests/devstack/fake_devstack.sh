# shellcheck shell=bash
# A small stand-in for the DevStack functions plugin.sh uses (functions-common,
# inc/python, lib/apache).  Every call is recorded in $FAKE_LOG.
ENABLED_SERVICES=${ENABLED_SERVICES:-horizon}
REGION_NAME=${REGION_NAME:-RegionOne}
PYTHON=${PYTHON:-python3}

function _fake_record { echo "$*" >>"$FAKE_LOG"; }

# functions-common: trueorfalse default VARNAME
function trueorfalse {
    local default=$1 testval=${!2:-}
    [[ -z "$testval" ]] && { echo "$default"; return; }
    [[ "0 no No NO false False FALSE" =~ (^| )$testval($| ) ]] && { echo "False"; return; }
    [[ "1 yes Yes YES true True TRUE" =~ (^| )$testval($| ) ]] && { echo "True"; return; }
    echo "$default"
}
function enable_service {
    local s
    for s in "$@"; do ENABLED_SERVICES+=",$s"; done
}
function disable_service {
    local s
    for s in "$@"; do ENABLED_SERVICES=$(echo ",$ENABLED_SERVICES," | sed "s/,$s,/,/g; s/^,//; s/,$//"); done
}
function is_service_enabled {
    local s
    for s in "$@"; do [[ ",$ENABLED_SERVICES," == *",$s,"* ]] && return 0; done
    return 1
}
function echo_summary { echo "summary: $*"; }
function pip_install { _fake_record "pip_install $*"; }
function pip_uninstall { _fake_record "pip_uninstall $*"; }
function restart_apache_server { _fake_record "restart_apache_server"; }
