/* Workspace page: inside the DingTalk client, asks the JSAPI for a one-time
 * login code (dd.requestAuthCode, else dd.runtime.permission.requestAuthCode
 * inside dd.ready) and posts it back. No click is needed. */
(function () {
  'use strict';
  var box = document.getElementById('dd-login');
  var form = document.getElementById('dd-form');
  if (!box || !form) return;
  var d = box.dataset;
  var done = false;
  function fail(err) {
    if (done) return;
    done = true;
    var code = 'unknown';
    if (err && (err.errorCode !== undefined || err.errCode !== undefined || err.error !== undefined)) {
      code = String(err.errorCode !== undefined ? err.errorCode : (err.errCode !== undefined ? err.errCode : err.error));
    } else if (typeof err === 'string') {
      code = err;
    }
    window.location.replace(d.failUrl + '&jsapi_error=' + encodeURIComponent(code.slice(0, 32)));
  }
  function succeed(res) {
    if (done) return;
    var code = res && (res.code || res.authCode);
    if (!code) { fail('no_code'); return; }
    done = true;
    form.elements.code.value = code;
    form.submit();
  }
  var dd = window.dd;
  if (!dd) { fail('no_jsapi'); return; }
  function legacy(firstErr) {
    var perm = dd.runtime && dd.runtime.permission;
    if (!perm || typeof perm.requestAuthCode !== 'function' || typeof dd.ready !== 'function') {
      fail(firstErr || 'no_jsapi');
      return;
    }
    dd.ready(function () {
      perm.requestAuthCode({ corpId: d.corpId, onSuccess: succeed, onFail: fail });
    });
  }
  window.setTimeout(function () { fail('timeout'); }, 20000);
  if (typeof dd.requestAuthCode === 'function') {
    try {
      dd.requestAuthCode({ corpId: d.corpId, clientId: d.clientId, onSuccess: succeed, onFail: legacy });
    } catch (e) {
      legacy('exception');
    }
  } else {
    legacy();
  }
})();
