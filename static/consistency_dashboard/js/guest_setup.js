/*
 * Guest setup tab of the Snapshot Consistency panel.
 *
 * 1. The Copy button of the cloud-init user-data (plain JS): the clipboard
 *    API when the browser allows it, else the text is copied with
 *    execCommand or, failing that, selected for Ctrl+C.  The button's
 *    data-copy-result says which happened: "copied", "copied-execcommand"
 *    or "selected".
 * 2. An optional Launch Instance step (AngularJS module
 *    "consistency_dashboard.guest_setup", active only when listed in
 *    ADD_ANGULAR_MODULES): Horizon's launch workflow is extensible
 *    (horizon.framework.util.extensible); the step puts the generated
 *    user-data into Configuration > Customization Script.
 *
 * The tab includes this file itself (its HTML may arrive by AJAX), so it
 * may run more than once per page: everything is guarded.
 */
(function (global) {
  'use strict';

  var USER_DATA_PATH = 'project/consistency/guest_setup/user-data/';

  function t(text) {
    return typeof global.gettext === 'function' ? global.gettext(text) : text;
  }

  function userDataUrl() {
    var root = global.WEBROOT || '/';
    if (root.charAt(root.length - 1) !== '/') {
      root += '/';
    }
    return root + USER_DATA_PATH;
  }

  /* ---- 1. Copy button ---- */

  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = global.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function report(button, result, message) {
    button.setAttribute('data-copy-result', result);
    var status = document.getElementById(
      button.getAttribute('data-consistency-copy-status') ||
      button.id + '-status');
    if (status) {
      status.textContent = message;
    }
  }

  function fallback(button, target) {
    selectText(target);
    var copied = false;
    try {
      copied = document.execCommand('copy');
    } catch (err) {
      copied = false;
    }
    if (copied) {
      report(button, 'copied-execcommand', t('Copied to the clipboard.'));
    } else {
      report(button, 'selected',
             t('The browser refused the clipboard: the text is selected, ' +
               'press Ctrl+C (Cmd+C) to copy it.'));
    }
  }

  function onCopy(event) {
    var button = event.target.closest ?
      event.target.closest('[data-consistency-copy]') : null;
    if (!button) {
      return;
    }
    event.preventDefault();
    var target = document.querySelector(
      button.getAttribute('data-consistency-copy'));
    if (!target) {
      return;
    }
    var text = target.textContent;
    button.removeAttribute('data-copy-result');
    if (global.navigator.clipboard && global.isSecureContext) {
      global.navigator.clipboard.writeText(text).then(function () {
        report(button, 'copied', t('Copied to the clipboard.'));
      }, function () {
        fallback(button, target);
      });
    } else {
      fallback(button, target);
    }
  }

  if (!global.consistencyGuestSetupCopy) {
    global.consistencyGuestSetupCopy = true;
    document.addEventListener('click', onCopy);
  }

  /* ---- 2. Launch Instance step ---- */

  var angular = global.angular;
  if (!angular || global.consistencyGuestSetupAngular) {
    return;
  }
  global.consistencyGuestSetupAngular = true;

  var STEP_TEMPLATE = 'consistency-guest-kit/step.html';
  var HELP_TEMPLATE = 'consistency-guest-kit/help.html';

  var stepHtml = [
    '<div ng-controller="ConsistencyGuestKitStepController as ctrl">',
    '  <p class="step-description" translate>',
    '    Optional. The guest kit makes every snapshot freeze leave a line in',
    '    the console log, so the Snapshot Consistency panel can show whether',
    '    the guest\'s filesystems (and databases) were frozen. It installs',
    '    qemu-guest-agent and fsfreeze hooks through cloud-init; the image',
    '    also needs hw_qemu_guest_agent=yes.',
    '  </p>',
    '  <div class="form-group">',
    '    <label translate>Guest family</label>',
    '    <div class="radio" ng-repeat="f in ctrl.families">',
    '      <label><input type="radio" name="consistencyFamily"',
    '             ng-model="ctrl.family" ng-value="f.value"> {$ f.label $}</label>',
    '    </div>',
    '  </div>',
    '  <div class="form-group">',
    '    <label translate>Application hooks</label>',
    '    <div class="checkbox" ng-repeat="a in ctrl.appChoices">',
    '      <label><input type="checkbox" ng-model="ctrl.apps[a.value]">',
    '        {$ a.label $}</label>',
    '    </div>',
    '  </div>',
    '  <div class="checkbox" ng-if="ctrl.hasScript()">',
    '    <label><input type="checkbox" ng-model="ctrl.replace">',
    '      <span translate>Replace the Customization Script already entered',
    '      </span></label>',
    '  </div>',
    '  <button type="button" class="btn btn-default" ng-click="ctrl.use()"',
    '          ng-disabled="ctrl.busy || (ctrl.hasScript() && !ctrl.replace)"',
    '          id="consistency-guest-kit-use" translate>',
    '    Use as Customization Script</button>',
    '  <p class="help-block" id="consistency-guest-kit-status">',
    '    {$ ctrl.status $}</p>',
    '</div>'
  ].join('\n');

  var helpHtml = [
    '<p translate>The text goes into Configuration &gt; Customization Script,',
    'where you can still read and edit it before launching. Instances booted',
    'from a volume get application-consistent snapshots from Nova itself',
    'when the agent answers; the kit adds the application hooks.</p>'
  ].join('\n');

  angular
    .module('consistency_dashboard.guest_setup',
            ['horizon.dashboard.project.workflow.launch-instance'])
    .controller('ConsistencyGuestKitStepController', GuestKitStepController)
    .config(decorateLaunchWorkflow);

  // A decorator, not a run block: the step is added when Launch Instance
  // first builds its workflow, so other pages do not instantiate the
  // workflow service (which would cost them API calls).
  decorateLaunchWorkflow.$inject = ['$provide'];

  function decorateLaunchWorkflow($provide) {
    $provide.decorator(
      'horizon.dashboard.project.workflow.launch-instance.workflow',
      addLaunchStep);
  }

  addLaunchStep.$inject = ['$delegate', '$templateCache'];

  function addLaunchStep(launchWorkflow, $templateCache) {
    $templateCache.put(STEP_TEMPLATE, stepHtml);
    $templateCache.put(HELP_TEMPLATE, helpHtml);
    launchWorkflow.after('configuration', {
      id: 'consistency-guest-kit',
      title: t('Guest kit'),
      templateUrl: STEP_TEMPLATE,
      helpUrl: HELP_TEMPLATE,
      formName: 'consistencyGuestKitForm'
    });
    return launchWorkflow;
  }

  GuestKitStepController.$inject = ['$scope', '$http'];

  function GuestKitStepController($scope, $http) {
    var ctrl = this;
    ctrl.families = [
      {value: 'debian', label: t('Debian / Ubuntu')},
      {value: 'rhel', label: t('RHEL / Fedora / Rocky / Alma')}
    ];
    ctrl.appChoices = [
      {value: 'postgresql', label: t('PostgreSQL')},
      {value: 'mysql', label: t('MySQL / MariaDB')}
    ];
    ctrl.family = 'debian';
    ctrl.apps = {postgresql: true, mysql: true};
    ctrl.replace = false;
    ctrl.busy = false;
    ctrl.status = '';

    function spec() {
      return $scope.model.newInstanceSpec;
    }

    ctrl.hasScript = function () {
      var text = spec().user_data;
      return !!(text && String(text).trim() && text !== ctrl.applied);
    };

    ctrl.use = function () {
      if (ctrl.hasScript() && !ctrl.replace) {
        return;
      }
      var apps = ctrl.appChoices.filter(function (a) {
        return ctrl.apps[a.value];
      }).map(function (a) {
        return a.value;
      });
      ctrl.busy = true;
      ctrl.status = t('Generating...');
      return $http.get(userDataUrl(), {
        params: {family: ctrl.family, apps: apps, generate: 1, inline: 1},
        transformResponse: function (data) { return data; }
      }).then(function (response) {
        ctrl.applied = response.data;
        // default_user_data is what the Configuration step's editor shows
        // (it watches it); user_data is what createInstance sends.
        spec().default_user_data = response.data;
        spec().user_data = response.data;
        ctrl.replace = false;
        ctrl.status = t('Put into Configuration > Customization Script.');
      }, function () {
        ctrl.status = t('Could not generate the user-data.');
      }).finally(function () {
        ctrl.busy = false;
      });
    };
  }
})(this);
