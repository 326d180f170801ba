/* DTFrameLogin for the DingTalk simulator (dingtalktest).
 * window.DTFrameLogin(frameParams, loginParams, successCbk, errorCbk) renders
 * the simulator's login page in an iframe inside #frameParams.id. On success
 * the iframe posts {redirectUrl, authCode, state} to this window; messages
 * from any other origin or frame are ignored. */
(function () {
  'use strict';
  var script = document.currentScript;
  var base = script && script.src ? new URL(script.src).origin : window.location.origin;

  function DTFrameLogin(frameParams, loginParams, successCbk, errorCbk) {
    frameParams = frameParams || {};
    loginParams = loginParams || {};
    var fail = function (msg) { if (typeof errorCbk === 'function') errorCbk(msg); };
    var box = document.getElementById(frameParams.id);
    if (!box) { fail('DTFrameLogin: container #' + frameParams.id + ' not found'); return; }
    var width = Math.max(280, Number(frameParams.width) || 300);
    var height = Math.max(280, Number(frameParams.height) || 300);
    var parts = [];
    Object.keys(loginParams).forEach(function (k) {
      var v = loginParams[k];
      if (v === undefined || v === null) return;
      // redirect_uri arrives already URL-encoded (encodeURIComponent), as
      // DingTalk requires; every other value is encoded here.
      parts.push(encodeURIComponent(k) + '=' + (k === 'redirect_uri' ? String(v) : encodeURIComponent(String(v))));
    });
    parts.push('iframe=true');
    var frame = document.createElement('iframe');
    frame.src = base + '/oauth2/auth?' + parts.join('&');
    frame.width = String(width);
    frame.height = String(height);
    frame.style.border = 'none';
    frame.setAttribute('title', 'DingTalk login');
    box.innerHTML = '';
    box.appendChild(frame);
    window.addEventListener('message', function (ev) {
      if (ev.origin !== base || ev.source !== frame.contentWindow) return;
      var d = ev.data;
      if (!d || d.type !== 'dingtalktest:login') return;
      if (d.error) { fail(d.error); return; }
      if (typeof successCbk === 'function') {
        successCbk({ redirectUrl: d.redirectUrl, authCode: d.authCode, state: d.state });
      }
    });
  }

  window.DTFrameLogin = DTFrameLogin;
})();
