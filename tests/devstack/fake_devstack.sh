# shellcheck shell=bash
# shellcheck disable=SC2034 # globals the plugin and DevStack's libraries read
#
# A stand-in for DevStack around devstack/plugin.sh: the functions the plugin
# and its settings call, with DevStack's semantics, and stack.sh, unstack.sh
# and clean.sh reduced to their order of configuration loading, in-tree
# Horizon steps and plugin phases.  Checked against openstack/devstack
# 493835a61a996731a7031861f80c7629acd5d6f2 (see devstack/README.md for what
# each piece mirrors).  Leaf commands (pip, python, sudo, apt-get,
# openstack, the guest image build) are fake_tools.py, which records every
# call in $FAKE_LOG and keeps the state of each Python environment, the
# installed Debian packages and Glance's images under $FAKE_ROOT.
#
# Inputs: FAKE_ROOT (scratch), FAKE_LOG, FAKE_REAL_PYTHON, DEST, FAKE_LOCALRC
# (the [[local|localrc]] section of local.conf), FAKE_OS_PACKAGE (deb|rpm).

FAKE_DEVSTACK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/fake_devstack.sh"
FAKE_TOOLS="$(dirname "$FAKE_DEVSTACK")/fake_tools.py"

function _fake_record { echo "$*" >>"$FAKE_LOG"; }

# A command that runs fake_tools.py in ROLE (with ENVDIR for python/pip).
function _fake_tool {
    local path=$1
    shift
    mkdir -p "$(dirname "$path")"
    printf '#!/bin/sh\nexec "%s" -S "%s" %s "$@"\n' "$FAKE_REAL_PYTHON" "$FAKE_TOOLS" "$*" >"$path"
    chmod +x "$path"
}

# A Python environment: bin/python3 and bin/pip (python$PYTHON3_VERSION too
# for the system one), its installed projects in ENVDIR/site.
function _fake_python_env {
    local env=$1 bindir=$2
    mkdir -p "$env/site"
    _fake_tool "$bindir/python3" python "$env"
    _fake_tool "$bindir/pip" pip "$env"
}

# The machine: the system Python (python$PYTHON3_VERSION on PATH, as stackrc
# and install_python find it), sudo, apt-get and openstack.
function _fake_machine {
    local bin="$FAKE_ROOT/bin"
    [[ -d "$FAKE_ROOT/system" ]] && return 0
    _fake_python_env "$FAKE_ROOT/system" "$FAKE_ROOT/system/bin"
    _fake_tool "$bin/python${PYTHON3_VERSION:-3.99}" python "$FAKE_ROOT/system"
    _fake_tool "$bin/sudo" sudo
    _fake_tool "$bin/apt-get" apt-get
    _fake_tool "$bin/openstack" openstack
}

# functions-common
# ----------------

function trueorfalse {
    local default=$1
    [[ -z "${2:-}" ]] && die $LINENO "variable to normalize required"
    local testval=${!2:-}
    case "$testval" in
        "1" | [yY]es | "YES" | [tT]rue | "TRUE") echo "True" ;;
        "0" | [nN]o | "NO" | [fF]alse | "FALSE") echo "False" ;;
        *) echo "$default" ;;
    esac
}

function isset { [[ -v "$1" ]]; }

# warn LINENO "message": prints only its second argument, returns $?.
function warn {
    local exitcode=$?
    echo "[WARNING] ${BASH_SOURCE[1]}:$1 ${2:-}"
    return $exitcode
}

function die {
    local exitcode=$?
    [[ $exitcode == 0 ]] && exitcode=1
    local line=$1
    shift
    echo "[ERROR] ${BASH_SOURCE[1]}:$line $*" >&2
    exit $exitcode
}

function echo_summary { echo "summary: $*"; }

function GetDistro { os_PACKAGE=${FAKE_OS_PACKAGE:-deb}; DISTRO=bookworm; }
function GetOSVersion { GetDistro; }
function is_ubuntu { [[ "${os_PACKAGE:-${FAKE_OS_PACKAGE:-deb}}" == "deb" ]]; }
function is_fedora { [[ "${os_PACKAGE:-${FAKE_OS_PACKAGE:-deb}}" == "rpm" ]]; }

function _cleanup_service_list {
    echo "$1" | sed -e 's/,,/,/g; s/^,//; s/,$//'
}

function remove_disabled_services {
    local service_list=$1 remove_list=$2 service remove add enabled=""
    for service in ${service_list//,/ }; do
        add=1
        for remove in ${remove_list//,/ }; do
            if [[ "$remove" == "$service" ]]; then
                add=0
                break
            fi
        done
        [[ $add == 1 ]] && enabled="$enabled,$service"
    done
    _cleanup_service_list "$enabled"
}

function disable_negated_services {
    local to_remove="" remaining="" service
    for service in ${ENABLED_SERVICES//,/ }; do
        if [[ $service == -* ]]; then
            to_remove+=",${service#-}"
        else
            remaining+=",$service"
        fi
    done
    ENABLED_SERVICES=$(remove_disabled_services "$remaining" "$to_remove")
}

function disable_all_services { ENABLED_SERVICES=""; }

# Remembers the service in DISABLED_SERVICES: a later enable_service (a
# plugin's settings, which load after local.conf) only warns.
function disable_service {
    local disabled_svcs="${DISABLED_SERVICES:-}" enabled_svcs=",${ENABLED_SERVICES}," service
    for service in "$@"; do
        disabled_svcs+=",$service"
        if is_service_enabled "$service"; then
            enabled_svcs=${enabled_svcs//,$service,/,}
        fi
    done
    DISABLED_SERVICES=$(_cleanup_service_list "$disabled_svcs")
    ENABLED_SERVICES=$(_cleanup_service_list "$enabled_svcs")
}

function enable_service {
    local tmpsvcs="${ENABLED_SERVICES}" service
    for service in "$@"; do
        if [[ ,${DISABLED_SERVICES:-}, =~ ,${service}, ]]; then
            warn $LINENO "Attempt to enable_service ${service} when it has been disabled"
            continue
        fi
        if ! is_service_enabled "$service"; then
            tmpsvcs+=",$service"
        fi
    done
    ENABLED_SERVICES=$(_cleanup_service_list "$tmpsvcs")
    disable_negated_services
}

# OR of its arguments; glance/nova/cinder/neutron/swift stand for their
# g-/n-/c-/q-/s- services; an is_<service>_enabled function decides too.
function is_service_enabled {
    local enabled=1 service
    for service in "$@"; do
        [[ ,${ENABLED_SERVICES}, =~ ,${service}, ]] && enabled=0
        if type "is_${service}_enabled" >/dev/null 2>&1; then
            "is_${service}_enabled" && enabled=0
        fi
        [[ ${service} == n-cpu-* && ,${ENABLED_SERVICES} =~ ,"n-cpu" ]] && enabled=0
        [[ ${service} == "nova" && ,${ENABLED_SERVICES} =~ ,"n-" ]] && enabled=0
        [[ ${service} == "cinder" && ,${ENABLED_SERVICES} =~ ,"c-" ]] && enabled=0
        [[ ${service} == "glance" && ,${ENABLED_SERVICES} =~ ,"g-" ]] && enabled=0
        [[ ${service} == "neutron" && ,${ENABLED_SERVICES} =~ ,"q-" ]] && enabled=0
        [[ ${service} == "swift" && ,${ENABLED_SERVICES} =~ ,"s-" ]] && enabled=0
        [[ ${service} == s-* && ,${ENABLED_SERVICES} =~ ,"swift" ]] && enabled=0
    done
    return $enabled
}

function verify_disabled_services {
    local service
    for service in ${ENABLED_SERVICES//,/ }; do
        if [[ ,${DISABLED_SERVICES:-}, =~ ,${service}, ]]; then
            die $LINENO "ENABLED_SERVICES directly modified to overcome 'disable_service ${service}'"
        fi
    done
}

# Plugins: enable_plugin NAME clones into $DEST/NAME; settings, phases and
# clean run in the order local.conf enabled them.
declare -A GITREPO GITDIR GITBRANCH
DEVSTACK_PLUGINS=""

function is_plugin_enabled { [[ ",${DEVSTACK_PLUGINS}," =~ ,${1}, ]]; }

function enable_plugin {
    local name=$1 url=$2 branch=${3:-master}
    if is_plugin_enabled "$name"; then
        die $LINENO "Plugin attempted to be enabled twice: ${name} ${url} ${branch}"
    fi
    DEVSTACK_PLUGINS+=",$name"
    GITREPO[$name]=$url
    GITDIR[$name]=$DEST/$name
    GITBRANCH[$name]=$branch
}

function define_plugin { :; }
function plugin_requires { :; }

# The test put each plugin's checkout at GITDIR (git_clone_by_name).
function fetch_plugins {
    local plugin
    for plugin in ${DEVSTACK_PLUGINS//,/ }; do
        [[ -d "${GITDIR[$plugin]}" ]] || die $LINENO "no checkout of plugin $plugin at ${GITDIR[$plugin]}"
    done
}

function load_plugin_settings {
    local plugin dir
    for plugin in ${DEVSTACK_PLUGINS//,/ }; do
        dir=${GITDIR[$plugin]}
        # shellcheck source=/dev/null
        [[ -f $dir/devstack/settings ]] && source "$dir/devstack/settings"
    done
    return 0
}

function plugin_override_defaults {
    local plugin dir
    for plugin in ${DEVSTACK_PLUGINS//,/ }; do
        dir=${GITDIR[$plugin]}
        # shellcheck source=/dev/null
        [[ -f $dir/devstack/override-defaults ]] && source "$dir/devstack/override-defaults"
    done
    return 0
}

function run_plugins {
    local mode=$1 phase=${2:-} plugin dir
    for plugin in ${DEVSTACK_PLUGINS//,/ }; do
        dir=${GITDIR[$plugin]}
        # shellcheck source=/dev/null
        # unstack and clean come without a phase: no $2 at all
        [[ -f $dir/devstack/plugin.sh ]] && source "$dir/devstack/plugin.sh" "$mode" ${phase:+"$phase"}
    done
    return 0
}

function run_phase {
    local mode=$1 phase=${2:-}
    _fake_record "phase $mode${phase:+ $phase}"
    if [[ "$mode" == "source" ]]; then
        load_plugin_settings
        verify_disabled_services
    elif [[ "$mode" == "override_defaults" ]]; then
        plugin_override_defaults
    else
        run_plugins "$mode" "$phase"
    fi
}

# Packages: devstack/files/debs/<plugin name> (# NOPRIME lines skipped).
function get_plugin_packages {
    local plugin file line
    for plugin in ${DEVSTACK_PLUGINS//,/ }; do
        file=${GITDIR[$plugin]}/devstack/files/debs/$plugin
        is_fedora && file=${GITDIR[$plugin]}/devstack/files/rpms/$plugin
        [[ -f "$file" ]] || continue
        while read -r line; do
            [[ $line =~ NOPRIME ]] && continue
            line=${line%%#*}
            [[ -n "${line// /}" ]] && echo "$line"
        done <"$file"
    done
    return 0
}

# One apt-get update per run (update_package_repo), then the install;
# apt_get does nothing with OFFLINE=True and runs as root without sudo.
function install_package {
    local sudo=sudo
    [[ "$(id -u)" = "0" ]] && sudo="env"
    [[ "$OFFLINE" == "True" || $# -eq 0 ]] && return 0
    if is_ubuntu; then
        if [[ "${REPOS_UPDATED:-False}" != "True" && "${NO_UPDATE_REPOS:-False}" != "True" ]]; then
            $sudo apt-get update
            REPOS_UPDATED=True
        fi
        $sudo DEBIAN_FRONTEND=noninteractive apt-get --option "Dpkg::Options::=--force-confold" --assume-yes install "$@"
    else
        _fake_record "dnf install $*"
    fi
}

function sudo_with_proxies {
    local sudo
    [[ "$(id -u)" = "0" ]] && sudo="env" || sudo="sudo"
    $sudo http_proxy="${http_proxy:-}" https_proxy="${https_proxy:-}" \
        no_proxy="${no_proxy:-}" "$@"
}

# inc/python
# ----------

function setup_devstack_virtualenv {
    if [[ ! -d $DEVSTACK_VENV ]]; then
        _fake_python_env "$DEVSTACK_VENV" "$DEVSTACK_VENV/bin"
    fi
    if [[ ":$PATH:" != *":$DEVSTACK_VENV/bin:"* ]]; then
        export PATH="$DEVSTACK_VENV/bin:$PATH"
        export PYTHON="$DEVSTACK_VENV/bin/python3"
    fi
}

# OFFLINE=True: nothing.  Else PIP_VIRTUAL_ENV's pip, else (GLOBAL_VENV=True
# and the venv exists) DEVSTACK_VENV's, else the system Python's through
# sudo; always with the upper constraints.
function pip_install {
    [[ "${OFFLINE:-False}" == "True" || $# -eq 0 ]] && return 0
    local cmd_pip sudo_pip
    if [[ -n ${PIP_VIRTUAL_ENV:=} && -d ${PIP_VIRTUAL_ENV} ]]; then
        cmd_pip=("$PIP_VIRTUAL_ENV/bin/pip")
        sudo_pip=(env)
    elif [[ "${GLOBAL_VENV}" == "True" && -d ${DEVSTACK_VENV} ]]; then
        cmd_pip=("$DEVSTACK_VENV/bin/pip")
        sudo_pip=(env)
    else
        cmd_pip=("python$PYTHON3_VERSION" -m pip)
        sudo_pip=(sudo -H LC_ALL=en_US.UTF-8)
    fi
    local upgrade=()
    [[ "$(trueorfalse False PIP_UPGRADE)" == "True" ]] && upgrade=(--upgrade)
    "${sudo_pip[@]}" "${cmd_pip[@]}" install -c "$REQUIREMENTS_DIR/upper-constraints.txt" "${upgrade[@]}" "$@"
}

# No GLOBAL_VENV branch: without PIP_VIRTUAL_ENV it is the system pip.
function pip_uninstall {
    [[ "${OFFLINE:-False}" == "True" ]] && return 0
    local cmd_pip sudo_pip
    if [[ -n ${PIP_VIRTUAL_ENV:=} && -d ${PIP_VIRTUAL_ENV} ]]; then
        cmd_pip=("$PIP_VIRTUAL_ENV/bin/pip")
        sudo_pip=(env)
    else
        cmd_pip=("python$PYTHON3_VERSION" -m pip)
        sudo_pip=(sudo -H LC_ALL=en_US.UTF-8)
    fi
    "${sudo_pip[@]}" "${cmd_pip[@]}" uninstall -y "$1" || /bin/true
}

function setup_develop { pip_install -e "$1${2:+[$2]}"; }
function setup_install { pip_install "$1${2:+[$2]}"; }
function pip_install_gr { pip_install "$1"; }

# lib/apache, lib/horizon
# -----------------------

function restart_apache_server { _fake_record "restart_apache_server"; }
function stop_apache_server { _fake_record "stop_apache_server"; }

# stack_install_service horizon: the apache bits, pymemcache, the clone.
function install_horizon {
    pip_install_gr pymemcache
    local local_dir="$HORIZON_DIR/openstack_dashboard/local"
    [[ -d "$HORIZON_DIR" ]] && return 0
    mkdir -p "$local_dir/enabled" "$local_dir/local_settings.d"
    printf '[metadata]\nname = horizon\n[options]\ninstall_requires =\n    Django\n' >"$HORIZON_DIR/setup.cfg"
    touch "$local_dir/__init__.py" "$local_dir/enabled/__init__.py" \
        "$local_dir/enabled/_9001_developer.py.example" \
        "$local_dir/local_settings.d/_9030_profiler_settings.py.example"
    echo "DEBUG = False" >"$local_dir/local_settings.py.example"
    echo "# Django's command-line utility" >"$HORIZON_DIR/manage.py"
}

function configure_horizon {
    setup_develop "$HORIZON_DIR"
    _fake_record "manage.py compilemessages python=$PYTHON"
    cp "$HORIZON_DIR/openstack_dashboard/local/local_settings.py.example" \
        "$HORIZON_DIR/openstack_dashboard/local/local_settings.py"
}

# collectstatic and compress load every enabled file and settings snippet:
# an app that Horizon's Python cannot import, or a snippet that is not
# Python, stops stack.sh here.
function init_horizon {
    local f app local_dir="$HORIZON_DIR/openstack_dashboard/local"
    for f in "$local_dir"/enabled/_*.py; do
        [[ -f "$f" ]] || continue
        for app in $(sed -n "s/^ADD_INSTALLED_APPS *= *\[\(.*\)\]/\1/p" "$f" | tr -d "',"); do
            if ! $PYTHON -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('$app') is None)"; then
                echo "collectstatic: No module named '$app' ($f)" >&2
                return 1
            fi
        done
    done
    for f in "$local_dir"/local_settings.d/_*.py; do
        [[ -f "$f" ]] || continue
        "$FAKE_REAL_PYTHON" -c 'import ast, sys; ast.parse(open(sys.argv[1]).read())' "$f" || return 1
    done
    _fake_record "init_horizon collectstatic compress python=$PYTHON"
}

function start_horizon { restart_apache_server; }
function stop_horizon { stop_apache_server; }
function cleanup_horizon { _fake_record "cleanup_horizon"; }

# stack.sh, unstack.sh, clean.sh
# ------------------------------

# stackrc: default services unless local.conf sets ENABLED_SERVICES, then
# the localrc section (enable_plugin, enable/disable_service, variables),
# then the defaults that read it; then the libraries' own defaults.
function _fake_config {
    DEST=${DEST:?}
    DATA_DIR=${DATA_DIR:-$DEST/data}
    if ! isset ENABLED_SERVICES; then
        ENABLED_SERVICES=key,n-api,n-cpu,n-cond,n-sch,n-novnc,n-api-meta
        ENABLED_SERVICES+=,placement-api,placement-client,g-api,c-sch,c-api,c-vol
        ENABLED_SERVICES+=,ovn-controller,ovn-northd,ovs-vswitchd,ovsdb-server
        ENABLED_SERVICES+=,q-svc,q-ovn-agent,horizon,rabbit,tempest,mysql,etcd3,dstat
    fi
    # shellcheck source=/dev/null
    [[ -n "${FAKE_LOCALRC:-}" ]] && source "$FAKE_LOCALRC"
    DEVSTACK_VENV=${DEVSTACK_VENV:-$DATA_DIR/venv}
    GLOBAL_VENV=$(trueorfalse True GLOBAL_VENV)
    OFFLINE=$(trueorfalse False OFFLINE)
    PYTHON3_VERSION=${PYTHON3_VERSION:-3.99}
    REQUIREMENTS_DIR=${REQUIREMENTS_DIR:-$DEST/requirements}
    REGION_NAME=${REGION_NAME:-RegionOne}
    # install_infra's clone of openstack/requirements
    if [[ ! -d "$REQUIREMENTS_DIR" ]]; then
        mkdir -p "$REQUIREMENTS_DIR/.venv/bin"
        touch "$REQUIREMENTS_DIR/upper-constraints.txt"
        echo "pymemcache  # Apache-2.0" >"$REQUIREMENTS_DIR/global-requirements.txt"
        printf '#!/bin/sh\nexit 0\n' >"$REQUIREMENTS_DIR/.venv/bin/edit-constraints"
        chmod +x "$REQUIREMENTS_DIR/.venv/bin/edit-constraints"
    fi
    GetDistro
    _fake_machine
}

function _fake_libs {
    DATABASE_BACKENDS="mysql postgresql"       # lib/database
    HORIZON_DIR=$DEST/horizon                  # lib/horizon
    GLANCE_USE_IMPORT_WORKFLOW=$(trueorfalse False GLANCE_USE_IMPORT_WORKFLOW)  # lib/glance
    NOVA_BACKEND=${NOVA_BACKEND:-}             # lib/nova
}

function fake_stack_sh {
    [[ -n "${NOUNSET:-}" ]] && set -o nounset
    _fake_config
    PYTHON=$(command -v "python$PYTHON3_VERSION")   # install_python
    set -o errexit
    fetch_plugins
    run_phase override_defaults
    _fake_libs
    run_phase source
    [[ "$GLOBAL_VENV" == "True" ]] && setup_devstack_virtualenv
    local pkgs
    pkgs=$(get_plugin_packages)
    # shellcheck disable=SC2086 # a list of packages
    [[ -n "$pkgs" ]] && install_package $pkgs
    run_phase stack pre-install
    if is_service_enabled horizon; then
        install_horizon
    fi
    run_phase stack install
    if is_service_enabled horizon; then
        configure_horizon
    fi
    run_phase stack post-config
    if is_service_enabled glance; then
        export FAKE_GLANCE_UP=1                     # start_glance
    fi
    # shellcheck disable=SC2086 # a list of services
    if is_service_enabled $DATABASE_BACKENDS && is_service_enabled glance; then
        _fake_record "upload_image cirros"
    fi
    if is_service_enabled horizon; then
        init_horizon
        start_horizon
    fi
    run_phase stack extra
    run_phase stack test-config
}

# unstack.sh runs without errexit.
function fake_unstack_sh {
    _fake_config
    run_phase override_defaults
    _fake_libs
    load_plugin_settings
    run_phase unstack
    if is_service_enabled horizon; then
        stop_horizon
    fi
}

# clean.sh: unstack.sh --all in its own process first, then the clean phase,
# then DevStack's own cleanup, which removes DATA_DIR (and so the default
# DEVSTACK_VENV) but leaves system packages alone.
function fake_clean_sh {
    _fake_config
    _fake_libs
    bash -c 'source "$1" && fake_unstack_sh' unstack.sh "$FAKE_DEVSTACK"
    load_plugin_settings
    run_phase clean
    cleanup_horizon
    rm -rf "$DATA_DIR"
}

# With FAKE_DEVSTACK_SRC (a DevStack checkout) every function above that
# DevStack's functions-common and inc/python define is replaced by
# DevStack's own; what stays is the machine, the drivers, lib/horizon's
# steps, fetch_plugins (no clone), GetDistro (no lsb_release) and
# setup_devstack_virtualenv (no real venv).  test_plugin.py runs its
# scenarios both ways and compares what they leave.
if [[ -n "${FAKE_DEVSTACK_SRC:-}" ]]; then
    _fake_keep=$(declare -f fetch_plugins GetDistro GetOSVersion setup_devstack_virtualenv)
    TOP_DIR=$FAKE_ROOT/devstack-top
    # shellcheck source=/dev/null
    source "$FAKE_DEVSTACK_SRC/functions-common"
    # shellcheck source=/dev/null
    source "$FAKE_DEVSTACK_SRC/inc/python"
    eval "$_fake_keep"
fi
