#!/usr/bin/env bash
# One-command demo: a real embedded OpenStack (Keystone, Glance, Placement,
# Neutron API, Nova with the libvirt driver on QEMU TCG) plus Horizon with
# this plugin, on 127.0.0.1, with real guests.
#
#   democloud/demo.sh [up]   install what is missing, start everything, seed
#   democloud/demo.sh down   stop every process of the demo (state is kept)
#   democloud/demo.sh wipe   down, then delete the state (venvs/images kept)
#   democloud/demo.sh status which processes run, and the URLs
#   democloud/demo.sh env [demo|admin]   print `export OS_...` lines
#   democloud/demo.sh packages   the Debian packages `up` installs
#
# Volume-backed instances run too (CONSISTENCY_DEMO_VOLUMES=0 leaves them
# out): a single-node Ceph (mon, mgr, one BlueStore OSD on a file in the
# state folder) and Cinder (api, scheduler, volume in one process) with its
# RBD driver; Nova attaches the volumes through librbd.
#
# Where things live (see democloud/README.md):
#   state (databases, configs, logs, instances): $CONSISTENCY_DEMO_STATE,
#       default <checkout>/democloud/state
#   venvs, guest image, Horizon's compressed static files: $CONSISTENCY_CACHE_DIR,
#       default /var/cache/consistency-dashboard (reused by every checkout)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
CACHE_DIR="${CONSISTENCY_CACHE_DIR:-/var/cache/consistency-dashboard}"
STATE="${CONSISTENCY_DEMO_STATE:-$HERE/state}"
VENVS="$CACHE_DIR/democloud/venvs"
OSV="$VENVS/openstack"          # keystone, glance, placement, neutron, nova
HZV="$VENVS/horizon"            # horizon + this plugin
GUEST_DIR="$CACHE_DIR/guest-image"
PYTHON="${PYTHON:-python3}"

LOG="$STATE/log"
RUN="$STATE/run"
ETC="$STATE/etc"
HOST=127.0.0.1
ADMIN_PASSWORD="${DEMO_ADMIN_PASSWORD:-admin-secret}"
DEMO_PASSWORD="${DEMO_PASSWORD:-demo-secret}"
# shellcheck disable=SC2034  # read by the config templates (render)
SERVICE_PASSWORD="service-secret"
DB_PASSWORD="db-secret"
HORIZON_PORT=8080
# libvirt domain names of this state folder's guests: unique per state
# folder, so a second checkout (CI in a fresh clone) never meets a domain
# left defined by another one.
INSTANCE_PREFIX="cd$(printf '%s' "$STATE" | sha256sum | cut -c1-6)-"

# Every host tool this script and tools/guest-image/build.sh call must come
# from this list (or be Essential): tests/test_demo_packages.py checks it, so
# `up` works alone on a fresh machine, not only where the tests ran before.
APT_PACKAGES=(mariadb-server mariadb-client rabbitmq-server
  libvirt-daemon-system libvirt-clients libvirt-daemon-driver-qemu
  qemu-system-x86 qemu-utils libvirt-dev pkg-config gcc python3-dev
  libpcre3-dev libssl-dev libffi-dev procps iproute2 curl git
  mmdebstrap e2fsprogs)
# Volume-backed instances (off with CONSISTENCY_DEMO_VOLUMES=0): single-node Ceph and
# the RBD pieces Cinder (python3-rados/rbd) and QEMU (qemu-block-extra) use.
VOLUME_APT_PACKAGES=(ceph-mon ceph-mgr ceph-osd ceph-base ceph-common
  python3-rados python3-rbd qemu-block-extra)
VOLUMES="${CONSISTENCY_DEMO_VOLUMES:-1}"
if [ "$VOLUMES" = 1 ]; then APT_PACKAGES+=("${VOLUME_APT_PACKAGES[@]}"); fi

# ---------------------------------------------------------------- helpers
T0=$(date +%s)
CURRENT_STEP=""
CURRENT_LOG=""
now() { date +%s.%N; }
step() {  # step NAME LOGFILE FUNCTION [ARGS...]
  local name=$1 logf=$2; shift 2
  CURRENT_STEP=$name; CURRENT_LOG=$logf
  local s; s=$(now)
  printf '==> %-34s ' "$name"
  mkdir -p "$(dirname "$logf")"
  # A subshell outside any `if`, so that `set -e` holds inside the step.
  local rc=0
  set +e
  ( set -e; "$@" ) >>"$logf" 2>&1
  rc=$?
  set -e
  if [ $rc -ne 0 ]; then
    printf 'FAILED\n'
    echo "demo.sh: step '$name' failed; see $logf" >&2
    echo "---- last lines of $logf" >&2
    tail -n 25 "$logf" >&2 || true
    local extra
    for extra in ${STEP_EXTRA_LOGS:-}; do
      [ -f "$extra" ] || continue
      echo "---- last lines of $extra" >&2
      grep -v '^[[:space:]]*$' "$extra" | tail -n 40 >&2 || true
    done
    exit 1
  fi
  awk -v a="$s" -v b="$(now)" 'BEGIN{printf "%6.1fs\n", b-a}'
}
die() { echo "demo.sh: $*" >&2; exit 1; }
trap 'rc=$?; if [ $rc -ne 0 ] && [ -n "$CURRENT_STEP" ]; then echo "demo.sh: failed in step $CURRENT_STEP (log: $CURRENT_LOG)" >&2; fi' EXIT

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local secs=$1 what=$2; shift 2
  local end=$(( $(date +%s) + secs ))
  while ! "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$end" ]; then
      echo "timed out after ${secs}s waiting for $what"; return 1
    fi
    sleep 0.5
  done
}
http_up() { curl -s -o /dev/null -m 5 "$1"; }

pid_alive() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

start_bg() {  # start_bg NAME COMMAND... : detached, log in $LOG/NAME.log
  local name=$1; shift
  if pid_alive "$name"; then echo "$name already running"; return 0; fi
  setsid nohup "$@" >>"$LOG/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
  echo "started $name pid $!"
}

stop_pid() {  # stop_pid NAME [SECONDS]
  local name=$1 secs=${2:-30} pid
  [ -f "$RUN/$name.pid" ] || return 0
  pid=$(cat "$RUN/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local end=$(( $(date +%s) + secs ))
    while kill -0 "$pid" 2>/dev/null; do
      if [ "$(date +%s)" -ge "$end" ]; then
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.3
    done
  fi
  rm -f "$RUN/$name.pid"
  echo "    stopped $name"
}

stop_many() {  # stop_many SECONDS NAME... : TERM all at once, wait, KILL stragglers
  local secs=$1 n pid; shift
  local -a pids=() names=()
  for n in "$@"; do
    if [ -f "$RUN/$n.pid" ] && kill -0 "$(cat "$RUN/$n.pid")" 2>/dev/null; then
      pid=$(cat "$RUN/$n.pid"); kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid"); names+=("$n")
    else
      rm -f "$RUN/$n.pid"
    fi
  done
  local end=$(( $(date +%s) + secs )) i alive
  while :; do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    if [ "$(date +%s)" -ge "$end" ]; then
      for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; done
      break
    fi
    sleep 0.3
  done
  for i in "${!names[@]}"; do rm -f "$RUN/${names[$i]}.pid"; echo "    stopped ${names[$i]}"; done
}

sha() { cat "$@" | sha256sum | cut -c1-16; }

# ---------------------------------------------------------------- install
apt_missing() {
  local p missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  echo "${missing[@]:-}"
}
do_apt() {
  local missing; missing=$(apt_missing)
  [ -z "$missing" ] && { echo "all Debian packages present"; return 0; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -o DPkg::Lock::Timeout=600
  # shellcheck disable=SC2086
  apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 $missing
}

# cinder 29.0.0 is the 2026.2 release, as nova 34.0.0; it is installed even
# when volumes are off, so switching them on does not rebuild the venv.
OS_PKGS=(keystone==30.0.0 glance==33.0.0 openstack-placement==16.0.0
  nova==34.0.0 neutron==29.0.0 cinder==29.0.0 uwsgi libvirt-python==9.0.0 PyMySQL
  python-novaclient python-glanceclient python-keystoneclient
  python-cinderclient python-openstackclient)
HZ_PKGS=(horizon==27.0.0 uwsgi)

make_venv() {  # make_venv DIR CONSTRAINTS PKGS...
  local dir=$1 cons=$2; shift 2
  local want; want=$(printf '%s\n' "$@" | cat - "$cons" | sha256sum | cut -c1-16)
  if [ -f "$dir/.democloud-ok" ] && [ "$(cat "$dir/.democloud-ok")" = "$want" ]; then
    echo "venv $dir up to date"; return 0
  fi
  rm -rf "$dir"
  "$PYTHON" -m venv "$dir"
  "$dir/bin/pip" install -q -c "$cons" -U pip setuptools wheel
  "$dir/bin/pip" install -c "$cons" "$@"
  echo "$want" >"$dir/.democloud-ok"
}
do_venv_openstack() {
  make_venv "$OSV" "$HERE/constraints-openstack.txt" "${OS_PKGS[@]}"
  # Ceph's Python bindings are not on PyPI: Cinder's RBD driver imports
  # Debian's python3-rados/python3-rbd, linked into the venv (the venv's
  # Python is 3.11 like Debian 12's, the same C ABI).  Only these two
  # modules: a .pth to all of dist-packages would shadow the venv's pins.
  local site m so
  site=$("$OSV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')
  for m in rados rbd; do
    for so in /usr/lib/python3/dist-packages/$m.cpython-*.so; do
      [ -f "$so" ] && ln -sf "$so" "$site/"
    done
  done
  if [ "$VOLUMES" = 1 ]; then "$OSV/bin/python" -c 'import rados, rbd'; fi
}
do_venv_horizon() { make_venv "$HZV" "$HERE/constraints-horizon.txt" "${HZ_PKGS[@]}"; }

plugin_hash() {
  (cd "$REPO" && git ls-files -co --exclude-standard setup.cfg setup.py pyproject.toml \
      consistency_dashboard templates static MANIFEST.in 2>/dev/null \
    | grep -v -e '__pycache__' -e '\.pyc$' | sort | while read -r f; do
        [ -f "$f" ] && { echo "$f"; cat "$f"; }; done) | sha256sum | cut -c1-16
}
do_plugin_install() {
  local want; want=$(plugin_hash)
  if [ -f "$HZV/.plugin-ok" ] && [ "$(cat "$HZV/.plugin-ok")" = "$want" ] \
     && "$HZV/bin/python" -c "import consistency_dashboard" 2>/dev/null; then
    echo "plugin already installed from this source"; return 0
  fi
  [ -f "$REPO/setup.cfg" ] || [ -f "$REPO/setup.py" ] || [ -f "$REPO/pyproject.toml" ] \
    || { echo "no setup.cfg/pyproject.toml in $REPO yet: plugin not installable"; return 0; }
  # Non-editable install of this checkout, as an operator would install it.
  "$HZV/bin/pip" install -c "$HERE/constraints-horizon.txt" --force-reinstall --no-deps "$REPO"
  "$HZV/bin/pip" install -c "$HERE/constraints-horizon.txt" "$REPO"
  echo "$want" >"$HZV/.plugin-ok"
  rm -f "$HZV/.static-ok"
}

# ---------------------------------------------------------------- configs
# Each service's configuration is a template in democloud/config/, filled by
# render: {{NAME}} is the shell variable NAME (unset is an error), a line
# {{auth USER}} is the Keystone auth options of service user USER
# (service-auth.inc), a line {{include FILE}} is FILE filled the same way,
# and {{db USER DATABASE}} is the MariaDB URL.
CONFIG_TEMPLATES="$HERE/config"
db() { echo "mysql+pymysql://$1:$DB_PASSWORD@$HOST/$2?charset=utf8"; }
RABBIT="rabbit://guest:guest@$HOST:5672/"
render() {  # render TEMPLATE (a file name in democloud/config/) > FILE
  local template=$CONFIG_TEMPLATES/$1 line name
  local re_line='^\{\{(auth|include) ([^ }]+)\}\}$' re_var='\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}' \
    re_db='\{\{db ([a-z_]+) ([a-z0-9_]+)\}\}'
  [ -f "$template" ] || { echo "render: no template $template" >&2; return 1; }
  while IFS= read -r line || [ -n "$line" ]; do
    if [[ $line =~ $re_line ]]; then
      if [ "${BASH_REMATCH[1]}" = auth ]; then
        AUTH_USER=${BASH_REMATCH[2]} render service-auth.inc || return 1
      else
        render "${BASH_REMATCH[2]}" || return 1
      fi
      continue
    fi
    while [[ $line =~ $re_db ]]; do
      line=${line//"${BASH_REMATCH[0]}"/$(db "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}")}
    done
    while [[ $line =~ $re_var ]]; do
      name=${BASH_REMATCH[1]}
      [ -n "${!name+set}" ] || { echo "render: $1 uses {{$name}}, which is not set" >&2; return 1; }
      line=${line//"{{$name}}"/${!name}}
    done
    printf '%s\n' "$line"
  done <"$template"
}

write_configs() {
  mkdir -p "$ETC"/{keystone,glance,placement,neutron,nova,nova-compute} \
    "$STATE"/{keystone/fernet-keys,keystone/credential-keys,glance/images,glance/staging,glance/tasks,nova/instances,nova/snapshots,locks,horizon}
  render keystone.conf >"$ETC/keystone/keystone.conf"
  render glance-api.conf >"$ETC/glance/glance-api.conf"
  cp "$OSV/etc/glance/glance-api-paste.ini" "$ETC/glance/"
  render placement.conf >"$ETC/placement/placement.conf"
  render neutron.conf >"$ETC/neutron/neutron.conf"
  render ml2_conf.ini >"$ETC/neutron/ml2_conf.ini"
  cp "$OSV/etc/neutron/api-paste.ini" "$ETC/neutron/"
  render nova.conf >"$ETC/nova/nova.conf"
  # nova-compute must not see any database settings.
  # shellcheck disable=SC2034  # read by the template
  local TB_CACHE_MB=${DEMO_TB_CACHE_MB:-16}
  # shellcheck disable=SC2034
  local PRIVSEP_HELPER="$OSV/bin/privsep-helper --config-file $ETC/nova-compute/nova.conf"
  render nova-compute.conf >"$ETC/nova-compute/nova.conf"
  cp "$OSV/etc/nova/api-paste.ini" "$ETC/nova/"
  if [ "$VOLUMES" = 1 ]; then write_volume_configs; fi
  # Its own log file for the conductor and scheduler process, which shares nova.conf.
  sed "s|^log_file = .*|log_file = $LOG/nova-conductor-scheduler.log|" "$ETC/nova/nova.conf" \
    >"$ETC/nova/nova-conductor-scheduler.conf"
}

# ------------------------------------------------- volumes: Ceph and Cinder
# A single-node Ceph (one mon, one mgr, one OSD on a BlueStore file in the
# state folder) on 127.0.0.1, without cephx (nothing outside this machine
# reaches it), and Cinder with its RBD driver. QEMU reaches the volumes
# through librbd (qemu-block-extra), no kernel module.
CEPH="$STATE/ceph"
CEPH_CONF="$ETC/ceph/ceph.conf"
# Every mgr module is left unloaded but status: each is a Python
# sub-interpreter, and with all of Pacific's loaded the mgr took 300 MiB
# RSS; without them 60 MiB.  RBD needs none of them.
# shellcheck disable=SC2034  # read by the config template
CEPH_MGR_OFF="alerts balancer crash devicehealth influx insights iostat localpool mirroring nfs orchestrator osd_perf_query osd_support pg_autoscaler progress prometheus rbd_support restful selftest snap_schedule stats telegraf telemetry test_orchestrator volumes zabbix dashboard diskprediction_local k8sevents rook cephadm"
write_volume_configs() {
  mkdir -p "$ETC/ceph" "$ETC/cinder" "$CEPH"/{mon,mgr,osd,run} "$LOG/ceph" "$STATE/cinder"
  [ -f "$CEPH/fsid" ] || cat /proc/sys/kernel/random/uuid >"$CEPH/fsid"
  # shellcheck disable=SC2034  # read by the templates
  local CEPH_FSID CEPH_OSD_BYTES=$(( ${DEMO_CEPH_OSD_GB:-10} * 1073741824 ))
  # shellcheck disable=SC2034
  CEPH_FSID=$(cat "$CEPH/fsid")
  render ceph.conf >"$CEPH_CONF"
  render cinder.conf >"$ETC/cinder/cinder.conf"
  cp "$OSV/etc/cinder/api-paste.ini" "$ETC/cinder/"
}

ceph_cli() { timeout 30 ceph -c "$CEPH_CONF" "$@"; }
do_ceph() {
  if [ ! -f "$CEPH/mon/ceph-a/done" ]; then
    rm -rf "$CEPH/mon/ceph-a"; mkdir -p "$CEPH/mon/ceph-a"
    ceph-authtool --create-keyring "$CEPH/keyring" --gen-key -n mon. --cap mon 'allow *'
    ceph-authtool "$CEPH/keyring" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *'
    monmaptool --create --addv a "[v2:$HOST:3300/0,v1:$HOST:6789/0]" --fsid "$(cat "$CEPH/fsid")" "$CEPH/monmap"
    ceph-mon -c "$CEPH_CONF" --mkfs -i a --monmap "$CEPH/monmap" --keyring "$CEPH/keyring"
    touch "$CEPH/mon/ceph-a/done"
  fi
  if ! pid_alive ceph-mon && ss -ltnH 'sport = :3300' | grep -q .; then
    echo "port 3300 is taken by a Ceph monitor this state folder did not start (another cluster on this machine?)"
    return 1
  fi
  start_bg ceph-mon ceph-mon -c "$CEPH_CONF" -i a -f
  wait_for 60 "the Ceph monitor" ceph_cli mon stat
  mkdir -p "$CEPH/mgr/ceph-a"
  start_bg ceph-mgr ceph-mgr -c "$CEPH_CONF" -i a -f
  if [ ! -f "$CEPH/osd/done" ]; then
    local uuid id
    uuid=$(cat /proc/sys/kernel/random/uuid)
    id=$(ceph_cli osd new "$uuid")
    [ "$id" = 0 ] || { echo "unexpected OSD id $id"; return 1; }
    rm -rf "$CEPH/osd/ceph-0"; mkdir -p "$CEPH/osd/ceph-0"
    ceph-osd -c "$CEPH_CONF" -i 0 --mkfs --osd-uuid "$uuid"
    touch "$CEPH/osd/done"
  fi
  start_bg ceph-osd ceph-osd -c "$CEPH_CONF" -i 0 -f
  wait_for 120 "the OSD up" sh -c "ceph -c '$CEPH_CONF' osd stat | grep -q ' 1 up'"
  if [ ! -f "$CEPH/pool-done" ]; then
    ceph_cli osd pool create volumes 8
    ceph_cli osd pool set volumes size 1 --yes-i-really-mean-it
    timeout 60 rbd -c "$CEPH_CONF" pool init volumes
    # the always-on mgr modules left unloaded above count as failed
    ceph_cli health mute MGR_MODULE_ERROR --sticky || true
    ceph_cli health mute AUTH_INSECURE_GLOBAL_ID_RECLAIM_ALLOWED --sticky || true
    touch "$CEPH/pool-done"
  fi
  ceph_cli -s
}

do_cinder() {
  once cinder-db "$OSV/bin/cinder-manage" --config-file "$ETC/cinder/cinder.conf" db sync
  # api, scheduler and volume in one process (see cinder_one_process.py)
  start_bg cinder "$OSV/bin/python" "$HERE/cinder_one_process.py" --config-file "$ETC/cinder/cinder.conf" --log-file "$LOG/cinder-app.log"
  wait_for 120 cinder-api http_up "http://$HOST:8776/"
  seed wait-volume
}

# ---------------------------------------------------------------- services
MYSQL_SOCK() { echo "$STATE/mariadb/mysqld.sock"; }
mysql_cli() { mariadb --no-defaults -uroot -S "$(MYSQL_SOCK)" "$@"; }
do_mariadb() {
  if [ ! -d "$STATE/mariadb/data/mysql" ]; then
    mkdir -p "$STATE/mariadb/data"
    mariadb-install-db --no-defaults --user=root --datadir="$STATE/mariadb/data" --auth-root-authentication-method=socket --skip-test-db
  fi
  if ! pid_alive mariadb; then
    start_bg mariadb mariadbd --no-defaults --user=root --datadir="$STATE/mariadb/data" \
      --bind-address=$HOST --port=3306 --socket="$(MYSQL_SOCK)" --pid-file="$STATE/mariadb/mariadbd.pid" \
      --innodb-buffer-pool-size=16M --innodb-log-buffer-size=4M --key-buffer-size=1M --max-connections=500 --performance-schema=OFF \
      --skip-name-resolve --character-set-server=utf8mb4
  fi
  wait_for 60 mariadb mysql_cli -e "select 1"
  local d u
  local dbs="keystone:keystone glance:glance placement:placement neutron:neutron nova:nova_api nova:nova_cell0 nova:nova_cell1"
  [ "$VOLUMES" = 1 ] && dbs="$dbs cinder:cinder"
  for d in $dbs; do
    u=${d%%:*}; d=${d#*:}
    mysql_cli -e "CREATE DATABASE IF NOT EXISTS $d; CREATE USER IF NOT EXISTS '$u'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD'; GRANT ALL ON $d.* TO '$u'@'127.0.0.1';"
  done
}

rabbit_env() {
  export RABBITMQ_NODENAME=democloud@localhost RABBITMQ_NODE_IP_ADDRESS=$HOST \
    RABBITMQ_NODE_PORT=5672 RABBITMQ_DIST_PORT=25672 ERL_EPMD_ADDRESS=$HOST \
    RABBITMQ_MNESIA_BASE="$STATE/rabbitmq/mnesia" RABBITMQ_LOG_BASE="$LOG/rabbitmq" \
    RABBITMQ_CONFIG_FILE="$STATE/rabbitmq/rabbitmq" RABBITMQ_ENABLED_PLUGINS_FILE="$STATE/rabbitmq/enabled_plugins" \
    RABBITMQ_PID_FILE="$STATE/rabbitmq/rabbit.pid" HOME="$STATE/rabbitmq" \
    RABBITMQ_SERVER_ERL_ARGS="+S 1:1 +A 4" RABBITMQ_CTL_ERL_ARGS="+S 1:1"
}
do_rabbitmq() {
  mkdir -p "$STATE/rabbitmq/mnesia" "$LOG/rabbitmq"
  echo "[]." >"$STATE/rabbitmq/enabled_plugins"
  printf 'loopback_users = none\nlisteners.tcp.default = %s:5672\n' "$HOST" >"$STATE/rabbitmq/rabbitmq.conf"
  rabbit_env
  if ! pid_alive rabbitmq; then
    start_bg rabbitmq /usr/lib/rabbitmq/bin/rabbitmq-server
  fi
  wait_for 120 rabbitmq /usr/lib/rabbitmq/bin/rabbitmqctl -q -n democloud@localhost await_startup
}

uwsgi_start() {  # uwsgi_start NAME PORT MODULE [extra args] ; env set by caller
  local name=$1 port=$2 module=$3; shift 3
  if pid_alive "$name" && http_up "http://$HOST:$port/"; then echo "$name running"; return 0; fi
  stop_pid "$name" 5
  # One worker and no master process: a master only forks and watches the
  # one worker, and costs 14 MiB per API (TERM stops the worker alone).
  start_bg "$name" "$OSV/bin/uwsgi" --http-socket "$HOST:$port" --processes 1 \
    --threads 4 --die-on-term --need-app --add-header "Connection: close" \
    --buffer-size 65535 --thunder-lock --enable-threads \
    --virtualenv "$OSV" --module "$module" "$@"
}

once() {  # once MARKER COMMAND... : run only if the marker does not exist
  local m="$STATE/done/$1"; shift
  [ -f "$m" ] && return 0
  "$@"
  mkdir -p "$STATE/done"; touch "$m"
}

do_keystone() {
  export OS_KEYSTONE_CONFIG_DIR="$ETC/keystone"
  local km=("$OSV/bin/keystone-manage" --config-file "$ETC/keystone/keystone.conf")
  once keystone-db "${km[@]}" db_sync
  once keystone-fernet "${km[@]}" fernet_setup --keystone-user root --keystone-group root
  once keystone-cred "${km[@]}" credential_setup --keystone-user root --keystone-group root
  once keystone-bootstrap "${km[@]}" bootstrap --bootstrap-password "$ADMIN_PASSWORD" \
    --bootstrap-admin-url "http://$HOST:5000/v3/" --bootstrap-internal-url "http://$HOST:5000/v3/" \
    --bootstrap-public-url "http://$HOST:5000/v3/" --bootstrap-region-id RegionOne
  uwsgi_start keystone 5000 keystone.wsgi.api:application --env OS_KEYSTONE_CONFIG_DIR="$ETC/keystone"
  wait_for 90 keystone http_up "http://$HOST:5000/v3"
}

seed() { DEMO_VOLUMES=$VOLUMES DEMO_INSTANCE_PREFIX=$INSTANCE_PREFIX DEMO_ADMIN_PASSWORD=$ADMIN_PASSWORD DEMO_PASSWORD=$DEMO_PASSWORD "$OSV/bin/python" "$HERE/seed.py" --state "$STATE" --guest-dir "$GUEST_DIR" "$@"; }

do_identity() {
  local vol=false; [ "$VOLUMES" = 1 ] && vol=true
  if [ -f "$STATE/identity.json" ] && [ "$STATE/identity.json" -nt "$HERE/seed.py" ] \
     && grep -q "\"volumes\": $vol" "$STATE/identity.json"; then
    echo "identity seeded before ($STATE/identity.json)"; return 0
  fi
  seed identity
}

do_dbsyncs() {
  once glance-db "$OSV/bin/glance-manage" --config-file "$ETC/glance/glance-api.conf" db_sync
  once placement-db "$OSV/bin/placement-manage" --config-file "$ETC/placement/placement.conf" db sync
  once neutron-db "$OSV/bin/neutron-db-manage" --config-file "$ETC/neutron/neutron.conf" \
    --config-file "$ETC/neutron/ml2_conf.ini" upgrade heads
  local nm=("$OSV/bin/nova-manage" --config-file "$ETC/nova/nova.conf")
  once nova-api-db "${nm[@]}" api_db sync
  once nova-cell0 "${nm[@]}" cell_v2 map_cell0 --database_connection "$(db nova nova_cell0)"
  once nova-cell1 "${nm[@]}" cell_v2 create_cell --name cell1 --database_connection "$(db nova nova_cell1)" --transport-url "$RABBIT"
  once nova-db "${nm[@]}" db sync
}

do_apis() {
  uwsgi_start glance 9292 glance.wsgi.api:application --env OS_GLANCE_CONFIG_DIR="$ETC/glance" \
    --http-chunked-input --http-raw-body --chunked-input-limit 0 --socket-timeout 300 --http-timeout 300
  uwsgi_start placement 8778 placement.wsgi.api:application --env OS_PLACEMENT_CONFIG_DIR="$ETC/placement"
  uwsgi_start neutron 9696 neutron_wsgi:application --pythonpath "$HERE" \
    --env OS_NEUTRON_CONFIG_DIR="$ETC/neutron" --env "OS_NEUTRON_CONFIG_FILES=neutron.conf;ml2_conf.ini"
  uwsgi_start nova-api 8774 nova.wsgi.osapi_compute:application --env OS_NOVA_CONFIG_DIR="$ETC/nova"
  wait_for 120 glance http_up "http://$HOST:9292/"
  wait_for 120 placement http_up "http://$HOST:8778/"
  wait_for 120 neutron http_up "http://$HOST:9696/"
  wait_for 120 nova-api http_up "http://$HOST:8774/"
}

# /dev/kvm exists here but KVM guests hang, and libvirtd probes QEMU with
# accel=kvm:tcg: every domain define waited ~45 s for that probe, and a warm
# start that resumes three guests took four minutes. libvirtd runs in its
# own mount namespace with /dev/kvm masked, so it (and QEMU) see TCG only:
# define 0.03 s, start 0.7 s. Nothing changes outside that namespace.
# The mask is a root-only (0600) copy of the /dev/null node, not /dev/null
# itself: libvirtd checks whether /dev/kvm is read/writable by the qemu user,
# and a world-writable mask made it treat its TCG-only capability cache as
# stale ("KVM was not enabled when probing ..., but it should be usable
# now") and re-probe QEMU on every lookup, about 15 probes per domain define
# (30 s per snapshot or guest start where PID 1 reaps the probes slowly).
kvm_needs_mask() { [ -e /dev/kvm ] && unshare -m --propagation private true 2>/dev/null; }
start_libvirtd() {
  if kvm_needs_mask; then
    mkdir -p /run/libvirt
    [ -c /run/libvirt/kvm-mask ] || mknod -m 600 /run/libvirt/kvm-mask c 1 3
    chown root:root /run/libvirt/kvm-mask && chmod 600 /run/libvirt/kvm-mask
    unshare -m --propagation private sh -c 'mount --bind /run/libvirt/kvm-mask /dev/kvm && exec libvirtd -d'
  else
    libvirtd -d
  fi
}
# A libvirtd may be running that this script cannot use: one left over from
# another checkout or a killed session, or one that a package's postinst
# started without the /dev/kvm mask (every QEMU probe then waits on KVM and
# nova-compute stalls in init_host).  Such a daemon is replaced.
libvirtd_usable() {
  local pid
  [ -f /run/libvirtd.pid ] && pid=$(cat /run/libvirtd.pid) && kill -0 "$pid" 2>/dev/null || return 1
  if kvm_needs_mask && [ "$(stat -c %t:%T:%a "/proc/$pid/root/dev/kvm" 2>/dev/null)" != "1:3:600" ]; then
    echo "libvirtd pid $pid sees the real or a world-writable /dev/kvm (not started by this script)"
    return 1
  fi
  if ! timeout 20 virsh -c qemu:///system list --all >/dev/null 2>&1; then
    echo "libvirtd pid $pid does not answer within 20 s"
    return 1
  fi
}
stop_stray_libvirtd() {
  local p
  for p in $(pgrep -x libvirtd || true); do
    echo "stopping libvirtd pid $p"
    kill "$p" 2>/dev/null || true
  done
  for _ in $(seq 1 40); do pgrep -x libvirtd >/dev/null || break; sleep 0.25; done
  for p in $(pgrep -x libvirtd || true); do kill -9 "$p" 2>/dev/null || true; done
  rm -f /run/libvirtd.pid
}
do_libvirt() {
  mkdir -p /run/libvirt
  if ! { [ -f /run/virtlogd.pid ] && kill -0 "$(cat /run/virtlogd.pid)" 2>/dev/null; }; then
    virtlogd -d
  fi
  if ! libvirtd_usable; then
    stop_stray_libvirtd
    start_libvirtd
  fi
  wait_for 30 libvirtd virsh -c qemu:///system version
  libvirtd_usable || { echo "the new libvirtd is not usable either"; return 1; }
  echo "libvirtd pid $(cat /run/libvirtd.pid), domains: $(virsh -c qemu:///system list --all --name | grep -c . || true)"
  enable_ksm
}

# Kernel samepage merging (KSM), as compute hosts that pack many guests run
# it (RHEL's ksmtuned, Ubuntu's qemu-kvm package): QEMU marks each guest's
# RAM mergeable (its mem-merge default; Nova asks libvirt for
# <nosharepages/> only for realtime guests) and ksmd merges pages of the same
# content across the guests, zero-filled ones into the kernel's zero page
# (use_zero_pages). Seven demo guests boot the same kernel and root image:
# measured right after a cold `up`, the guests took 1309 MiB RSS / 1110 MiB
# PSS without it and 1121 / 662 MiB a minute after it was turned on, with
# ksmd at 2% of one core while scanning 500 pages every 20 ms. 300 pages
# every 20 ms (15,000 pages a second) goes over the guests' RAM about every
# 15 s. The host's earlier settings are kept in $RUN/ksm.saved and put back
# by `down`. CONSISTENCY_DEMO_KSM=0 leaves KSM as it is.
KSM="${CONSISTENCY_DEMO_KSM:-1}"
KSM_DIR="${CONSISTENCY_KSM_DIR:-/sys/kernel/mm/ksm}"
KSM_KNOBS="run use_zero_pages pages_to_scan sleep_millisecs"
enable_ksm() {
  local k
  if [ "$KSM" != 1 ]; then echo "KSM: left as it is (CONSISTENCY_DEMO_KSM=$KSM)"; return 0; fi
  if [ ! -w "$KSM_DIR/run" ] || ! cat "$KSM_DIR/run" >/dev/null 2>&1; then
    echo "KSM: $KSM_DIR/run is not writable here; the guests' memory is not merged"; return 0
  fi
  if [ ! -f "$RUN/ksm.saved" ]; then
    for k in $KSM_KNOBS; do
      [ -f "$KSM_DIR/$k" ] && echo "$k $(cat "$KSM_DIR/$k")"
    done > "$RUN/ksm.saved.new"
    mv "$RUN/ksm.saved.new" "$RUN/ksm.saved"
  fi
  [ -f "$KSM_DIR/use_zero_pages" ] && echo 1 > "$KSM_DIR/use_zero_pages"
  echo 300 > "$KSM_DIR/pages_to_scan"
  echo 20 > "$KSM_DIR/sleep_millisecs"
  echo 1 > "$KSM_DIR/run"
  echo "KSM: on (300 pages every 20 ms, zero pages merged; was: $(tr '\n' ' ' < "$RUN/ksm.saved"))"
}
restore_ksm() {
  local k v
  [ -f "$RUN/ksm.saved" ] || return 0
  # run first, so the scanner stops before its rate changes
  for k in run $KSM_KNOBS; do
    v=$(awk -v k="$k" '$1 == k {print $2}' "$RUN/ksm.saved")
    if [ -n "$v" ] && [ -w "$KSM_DIR/$k" ]; then echo "$v" > "$KSM_DIR/$k" 2>/dev/null || true; fi
  done
  rm -f "$RUN/ksm.saved"
  echo "KSM: the host's earlier settings put back"
}
ksm_status() {
  local sharing
  [ -r "$KSM_DIR/run" ] || { echo "KSM: not available"; return 0; }
  sharing=$(cat "$KSM_DIR/pages_sharing" 2>/dev/null || echo 0)
  local bytes=$((sharing * 4096))
  [ -r "$KSM_DIR/general_profit" ] && bytes=$(cat "$KSM_DIR/general_profit")
  echo "KSM: run=$(cat "$KSM_DIR/run"), $sharing pages merged into $(cat "$KSM_DIR/pages_shared" 2>/dev/null || echo 0), $((bytes / 1048576)) MiB saved, $(cat "$KSM_DIR/ksm_zero_pages" 2>/dev/null || echo 0) zero pages, full scans $(cat "$KSM_DIR/full_scans" 2>/dev/null || echo 0)"
}

# nova-compute refuses to start as a new service while libvirt holds any
# domain ("My hypervisor has existing instances, but I appear to be a new
# service in this database"): domains left by another checkout's demo cloud,
# or by this folder's state deleted without `wipe`.  Only two demo clouds
# cannot run at once (they share the ports), so before this state's first
# nova-compute start every demo-named domain is an orphan: remove it.
# Domains the demo did not name are left alone and reported.
DEMO_DOMAIN_RE='^cd[0-9a-f]{6}-[0-9a-f]{8}$'
compute_service_registered() {
  [ "$(mysql_cli -N -e "select count(*) from nova_cell1.services where \`binary\`='nova-compute' and deleted=0")" -ge 1 ]
}
clear_orphan_domains() {
  local d others
  for d in $(virsh -c qemu:///system list --all --name | grep -E "$DEMO_DOMAIN_RE" || true); do
    echo "removing libvirt domain $d, left by an earlier demo cloud (its state is gone or it is another checkout's)"
    virsh -c qemu:///system destroy "$d" >/dev/null 2>&1 || true
    virsh -c qemu:///system undefine --nvram "$d" >/dev/null 2>&1 \
      || virsh -c qemu:///system undefine "$d" >/dev/null
  done
  others=$(virsh -c qemu:///system list --all --name | grep -vE "$DEMO_DOMAIN_RE" | grep . || true)
  if [ -n "$others" ]; then
    echo "libvirt holds domains the demo did not create: $(echo "$others" | tr '\n' ' ')"
    echo "nova-compute will refuse to start beside them; remove them (virsh undefine NAME) or use another machine"
    return 1
  fi
}

compute_node_registered() {
  [ "$(mysql_cli -N -e "select count(*) from nova_cell1.compute_nodes where deleted=0")" -ge 1 ]
}
do_nova_services() {
  if pid_alive nova-conductor-scheduler && pid_alive nova-compute \
     && [ -f "$STATE/done/nova-discovered" ]; then
    echo "nova services running and the host is mapped"; return 0
  fi
  if ! compute_service_registered; then
    clear_orphan_domains
    # a nova-compute of this state that never registered has failed (it can
    # stay alive after refusing to start): start it afresh
    if pid_alive nova-compute; then
      echo "restarting nova-compute pid $(cat "$RUN/nova-compute.pid"): it never registered"
      stop_pid nova-compute
    fi
  fi
  # conductor and scheduler in one process, no forked worker (see nova_one_process.py)
  start_bg nova-conductor-scheduler "$OSV/bin/python" "$HERE/nova_one_process.py" conductor scheduler \
    --config-file "$ETC/nova/nova-conductor-scheduler.conf"
  # nova-compute, with its privsep-helper daemons (running privsep's
  # functions in nova-compute itself saved 116 MiB but hung nova-compute's
  # main thread in a CI run).  One started now counts as up only with a
  # heartbeat after its start (see seed.py's wait-compute).
  local since=0
  pid_alive nova-compute || since=$(date +%s)
  start_bg nova-compute "$OSV/bin/nova-compute" --config-file "$ETC/nova-compute/nova.conf"
  seed wait-compute --since "$since"
  if [ -f "$STATE/done/nova-discovered" ]; then
    echo "the host was mapped to cell1 before (the mapping is kept in the database)"; return 0
  fi
  # the compute node record appears a few seconds after the service is up
  wait_for 180 "the compute node record" compute_node_registered
  "$OSV/bin/nova-manage" --config-file "$ETC/nova/nova.conf" cell_v2 discover_hosts --verbose
  seed wait-hypervisor
  mkdir -p "$STATE/done"; touch "$STATE/done/nova-discovered"
}

# ---------------------------------------------------------------- horizon
hz_site() { "$HZV/bin/python" -c 'import openstack_dashboard,os;print(os.path.dirname(openstack_dashboard.__file__))'; }
do_horizon_config() {
  local od; od=$(hz_site)
  mkdir -p "$CACHE_DIR/democloud/horizon-static"
  cat >"$od/local/local_settings.py" <<EOF
# Written by consistency-dashboard democloud/demo.sh
import os
DEBUG = False
ALLOWED_HOSTS = ['*']
SECRET_KEY = 'democloud-not-secret-$(echo "$STATE" | sha256sum | cut -c1-24)'
OPENSTACK_HOST = '$HOST'
OPENSTACK_KEYSTONE_URL = 'http://$HOST:5000/v3'
OPENSTACK_KEYSTONE_DEFAULT_DOMAIN = 'Default'
OPENSTACK_KEYSTONE_DEFAULT_ROLE = 'member'
OPENSTACK_ENDPOINT_TYPE = 'publicURL'
SESSION_ENGINE = 'django.contrib.sessions.backends.signed_cookies'
CACHES = {'default': {'BACKEND': 'django.core.cache.backends.locmem.LocMemCache'}}
STATIC_ROOT = '$CACHE_DIR/democloud/horizon-static'
STATIC_URL = '/static/'
COMPRESS_OFFLINE = True
COMPRESS_ENABLED = True
OPENSTACK_NEUTRON_NETWORK = {'enable_router': False, 'enable_quotas': False,
    'enable_distributed_router': False, 'enable_ha_router': False,
    'enable_fip_topology_check': False}
OPENSTACK_HYPERVISOR_FEATURES = {'can_set_mount_point': False, 'can_set_password': False}
LOGGING = {'version': 1, 'disable_existing_loggers': False,
    'handlers': {'console': {'class': 'logging.StreamHandler'}},
    'loggers': {'': {'handlers': ['console'], 'level': 'WARNING'},
                'consistency_dashboard': {'handlers': ['console'], 'level': 'INFO', 'propagate': False}}}
EOF
  # The plugin's enabled files, as DevStack plugins do: copied into
  # openstack_dashboard/local/enabled/. Remove those we copied before.
  local en="$od/local/enabled" f copied="$HZV/.democloud-enabled-files"
  mkdir -p "$en"
  if [ -f "$copied" ]; then
    while read -r f; do [ -n "$f" ] && rm -f "$en/$f"; done <"$copied"
  fi
  : >"$copied"
  local src
  src=$("$HZV/bin/python" -c 'import consistency_dashboard,os;print(os.path.join(os.path.dirname(consistency_dashboard.__file__),"enabled"))' 2>/dev/null || true)
  if [ -n "$src" ] && [ -d "$src" ]; then
    for f in "$src"/_*.py; do
      [ -f "$f" ] || continue
      [ "$(basename "$f")" = __init__.py ] && continue
      cp "$f" "$en/"; basename "$f" >>"$copied"
    done
  fi
  echo "enabled files: $(tr '\n' ' ' <"$copied")"
}
do_horizon_static() {
  local want; want=$( (cat "$HZV/.plugin-ok" 2>/dev/null; cat "$HZV/.democloud-enabled-files"; hz_site; ls "$(hz_site)/local/local_settings.py") | sha256sum | cut -c1-16)
  if [ -f "$HZV/.static-ok" ] && [ "$(cat "$HZV/.static-ok")" = "$want" ]; then
    echo "static files up to date"; return 0
  fi
  local mp; mp="$(hz_site)/../manage.py"
  [ -f "$mp" ] || mp="$(hz_site)/manage.py"
  export DJANGO_SETTINGS_MODULE=openstack_dashboard.settings
  "$HZV/bin/django-admin" collectstatic --noinput --clear -v 0
  "$HZV/bin/django-admin" compress --force -v 0
  echo "$want" >"$HZV/.static-ok"
}
do_horizon_start() {
  if pid_alive horizon; then
    if [ "$(cat "$RUN/horizon.sig" 2>/dev/null)" = "$(cat "$HZV/.static-ok")" ] && http_up "http://$HOST:$HORIZON_PORT/auth/login/"; then
      echo "horizon running"; return 0
    fi
    stop_pid horizon 10
  fi
  start_bg horizon "$HZV/bin/uwsgi" --http-socket "$HOST:$HORIZON_PORT" --processes 1 \
    --threads 4 --die-on-term --need-app --add-header "Connection: close" \
    --buffer-size 65535 --enable-threads \
    --virtualenv "$HZV" --env DJANGO_SETTINGS_MODULE=openstack_dashboard.settings \
    --module openstack_dashboard.wsgi:application \
    --static-map "/static=$CACHE_DIR/democloud/horizon-static" --offload-threads 1
  cp "$HZV/.static-ok" "$RUN/horizon.sig"
  wait_for 120 horizon http_up "http://$HOST:$HORIZON_PORT/auth/login/"
}

# ---------------------------------------------------------------- guest
do_guest_image() {
  # build.sh rebuilds only when its inputs (itself, the init, the guest kit)
  # changed, so a changed init reaches the demo's guests.
  if [ -f "$REPO/tools/guest-image/build.sh" ]; then
    CONSISTENCY_CACHE_DIR="$CACHE_DIR" bash "$REPO/tools/guest-image/build.sh"
  elif [ -f "$GUEST_DIR/manifest.json" ] && [ -f "$GUEST_DIR/rootfs.raw" ]; then
    echo "guest image present in $GUEST_DIR"
  else
    echo "no guest image and no tools/guest-image/build.sh: guests skipped"; return 0
  fi
  # A compressed qcow2 copy: 50-odd MB per Glance upload instead of 512 MB.
  if [ -f "$GUEST_DIR/rootfs.raw" ] && { [ ! -f "$GUEST_DIR/rootfs.qcow2" ] || [ "$GUEST_DIR/rootfs.raw" -nt "$GUEST_DIR/rootfs.qcow2" ]; }; then
    qemu-img convert -c -f raw -O qcow2 "$GUEST_DIR/rootfs.raw" "$GUEST_DIR/rootfs.qcow2.tmp"
    mv "$GUEST_DIR/rootfs.qcow2.tmp" "$GUEST_DIR/rootfs.qcow2"
  fi
}
do_content() { seed content; }

# ---------------------------------------------------------------- commands
print_env() {
  local who=${1:-demo}
  if [ "$who" = admin ]; then
    echo "export OS_USERNAME=admin OS_PASSWORD=$ADMIN_PASSWORD OS_PROJECT_NAME=admin"
  else
    echo "export OS_USERNAME=demo OS_PASSWORD=$DEMO_PASSWORD OS_PROJECT_NAME=demo"
  fi
  cat <<EOF
export OS_AUTH_URL=http://$HOST:5000/v3 OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default
export OS_IDENTITY_API_VERSION=3 OS_REGION_NAME=RegionOne OS_AUTH_TYPE=password
export OS_COMPUTE_API_VERSION=2.96
export CONSISTENCY_DEMO_STATE=$STATE CONSISTENCY_DEMO_VENV=$OSV CONSISTENCY_DEMO_HORIZON=http://$HOST:$HORIZON_PORT
export CONSISTENCY_DEMO_ADMIN_PASSWORD=$ADMIN_PASSWORD CONSISTENCY_DEMO_PASSWORD=$DEMO_PASSWORD
EOF
}


cmd_status() {
  local s rc=0
  local extra=""
  [ "$VOLUMES" = 1 ] && extra="ceph-mon ceph-mgr ceph-osd cinder"
  for s in mariadb rabbitmq keystone glance placement neutron nova-api nova-conductor-scheduler nova-compute $extra horizon; do
    if pid_alive "$s"; then printf '%-16s running (pid %s)\n' "$s" "$(cat "$RUN/$s.pid")"
    else printf '%-16s stopped\n' "$s"; rc=3; fi
  done
  for s in virtlogd libvirtd; do
    if [ -f "/run/$s.pid" ] && kill -0 "$(cat "/run/$s.pid")" 2>/dev/null; then printf '%-16s running (pid %s)\n' "$s" "$(cat "/run/$s.pid")"
    else printf '%-16s stopped\n' "$s"; rc=3; fi
  done
  if [ -f "$OSV/bin/python" ] && [ -f "$STATE/identity.json" ]; then
    seed rss || true
  fi
  ksm_status
  echo "Horizon: http://$HOST:$HORIZON_PORT/  demo / $DEMO_PASSWORD   admin / $ADMIN_PASSWORD"
  return $rc
}

cmd_down() {
  local s
  echo "==> stopping the demo cloud (state kept in $STATE)"
  stop_many 40 horizon nova-compute
  # Guests: power them off; nova-compute restarts them on the next `up`
  # (resume_guests_state_on_host_boot).
  if command -v virsh >/dev/null && [ -f /run/libvirtd.pid ] && kill -0 "$(cat /run/libvirtd.pid)" 2>/dev/null; then
    for s in $(virsh -c qemu:///system list --name 2>/dev/null | grep "^$INSTANCE_PREFIX" || true); do
      virsh -c qemu:///system destroy "$s" >/dev/null 2>&1 || true
    done
    kill "$(cat /run/libvirtd.pid)" 2>/dev/null || true
  fi
  [ -f /run/virtlogd.pid ] && kill "$(cat /run/virtlogd.pid)" 2>/dev/null || true
  # (and the names older versions of this script started)
  stop_many 30 nova-conductor-scheduler nova-scheduler nova-conductor nova-api cinder \
    cinder-volume cinder-scheduler cinder-api neutron placement glance keystone
  stop_many 30 ceph-osd ceph-mgr ceph-mon
  if pid_alive rabbitmq; then
    rabbit_env; /usr/lib/rabbitmq/bin/rabbitmqctl -q -n democloud@localhost stop >/dev/null 2>&1 || true
    stop_pid rabbitmq 30
    ERL_EPMD_ADDRESS=$HOST epmd -kill >/dev/null 2>&1 || true
  fi
  stop_pid mariadb 60
  restore_ksm
  echo "==> stopped"
}

cmd_wipe() {
  cmd_down
  if command -v virsh >/dev/null; then
    # undefine the demo's domains (libvirtd is down; start it briefly)
    if [ -d /etc/libvirt/qemu ] && ls /etc/libvirt/qemu/"$INSTANCE_PREFIX"*.xml >/dev/null 2>&1; then
      start_libvirtd 2>/dev/null || true; sleep 1
      for s in $(virsh -c qemu:///system list --all --name 2>/dev/null | grep "^$INSTANCE_PREFIX" || true); do
        virsh -c qemu:///system destroy "$s" >/dev/null 2>&1 || true
        virsh -c qemu:///system undefine --nvram "$s" >/dev/null 2>&1 || virsh -c qemu:///system undefine "$s" >/dev/null 2>&1 || true
      done
      [ -f /run/libvirtd.pid ] && kill "$(cat /run/libvirtd.pid)" 2>/dev/null || true
    fi
  fi
  rm -rf "$STATE"
  echo "==> wiped $STATE (venvs and guest image stay in $CACHE_DIR; remove that folder to reinstall)"
}

cmd_up() {
  [ "$(id -u)" = 0 ] || die "must run as root (installs packages, runs libvirtd)"
  mkdir -p "$LOG" "$RUN" "$ETC"
  echo "democloud: state $STATE, cache $CACHE_DIR, logs $LOG"
  local port svc
  for svc in keystone:5000 glance:9292 placement:8778 neutron:9696 nova-api:8774 cinder:8776 horizon:$HORIZON_PORT; do
    port=${svc#*:}; svc=${svc%%:*}
    if ! pid_alive "$svc" && http_up "http://$HOST:$port/"; then
      die "port $port ($svc) is already served by a process this state folder did not start (another checkout's demo cloud? run its democloud/demo.sh down)"
    fi
  done
  step "Debian packages" "$LOG/install-apt.log" do_apt
  step "venv: OpenStack services" "$LOG/install-venv-openstack.log" do_venv_openstack
  step "venv: Horizon" "$LOG/install-venv-horizon.log" do_venv_horizon
  step "plugin into Horizon's venv" "$LOG/install-plugin.log" do_plugin_install
  step "configuration files" "$LOG/config.log" write_configs
  step "MariaDB" "$LOG/mariadb-setup.log" do_mariadb
  step "RabbitMQ" "$LOG/rabbitmq-setup.log" do_rabbitmq
  step "Keystone" "$LOG/keystone-setup.log" do_keystone
  step "users, projects, endpoints" "$LOG/seed.log" do_identity
  step "database schemas" "$LOG/dbsync.log" do_dbsyncs
  step "Glance, Placement, Neutron, Nova APIs" "$LOG/apis-setup.log" do_apis
  if [ "$VOLUMES" = 1 ]; then
    step "Ceph mon, mgr, OSD" "$LOG/ceph-setup.log" do_ceph
    STEP_EXTRA_LOGS="$LOG/cinder-app.log $LOG/cinder.log" \
      step "Cinder api/scheduler/volume" "$LOG/cinder-setup.log" do_cinder
  fi
  step "virtlogd + libvirtd" "$LOG/libvirt-setup.log" do_libvirt
  STEP_EXTRA_LOGS="$LOG/nova-compute-app.log $LOG/nova-compute.log $LOG/nova-conductor-scheduler.log" \
    step "Nova conductor/scheduler/compute" "$LOG/nova-setup.log" do_nova_services
  step "Horizon settings + enabled files" "$LOG/horizon-setup.log" do_horizon_config
  step "Horizon static files (compress)" "$LOG/horizon-setup.log" do_horizon_static
  step "Horizon" "$LOG/horizon-setup.log" do_horizon_start
  step "guest image" "$LOG/guest-image.log" do_guest_image
  step "demo images and instances" "$LOG/seed.log" do_content
  CURRENT_STEP=""
  echo
  echo "Demo cloud is up in $(( $(date +%s) - T0 ))s."
  echo "  Horizon:  http://$HOST:$HORIZON_PORT/   (Project > Compute > Snapshot Consistency)"
  echo "  demo user:  demo / $DEMO_PASSWORD  (project demo)"
  echo "  admin user: admin / $ADMIN_PASSWORD (project admin)"
  echo "  CLI/tests:  eval \"\$($0 env)\"   or   eval \"\$($0 env admin)\""
  echo "  stop: $0 down    wipe: $0 wipe    logs: $LOG"
}

case "${1:-up}" in
  up) cmd_up ;;
  down) cmd_down ;;
  wipe) cmd_wipe ;;
  status) cmd_status ;;
  env) print_env "${2:-demo}" ;;
  packages) echo "${APT_PACKAGES[@]}" ;;
  *) echo "usage: $0 [up|down|wipe|status|env [demo|admin]|packages]" >&2; exit 2 ;;
esac
