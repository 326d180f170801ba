/* QR page: draws DingTalk's embedded QR (DTFrameLogin) and, once the person
 * has scanned and confirmed, goes to this bridge's OAuth2 callback. */
(function () {
  'use strict';
  var box = document.getElementById('dt-qr');
  var errorLine = document.getElementById('dt-qr-error');
  if (!box) return;
  var d = box.dataset;
  function showError() {
    if (!errorLine) return;
    errorLine.textContent = d.errorText || '';
    errorLine.hidden = false;
  }
  if (typeof window.DTFrameLogin !== 'function') {
    showError();
    return;
  }
  var login = {
    redirect_uri: encodeURIComponent(d.redirectUri),
    response_type: 'code',
    client_id: d.clientId,
    scope: d.scope,
    prompt: 'consent',
    state: d.state
  };
  if (d.corpId) login.corpId = d.corpId;
  window.DTFrameLogin({ id: 'dt-qr', width: 300, height: 300 }, login, function (res) {
    var target = res && res.redirectUrl;
    // Only ever navigate to our own callback; build it from the code
    // when the frame hands back anything else.
    if (!target || target.indexOf(d.redirectUri + '?') !== 0) {
      if (!res || !res.authCode) { showError(); return; }
      target = d.redirectUri + '?authCode=' + encodeURIComponent(res.authCode) +
        '&state=' + encodeURIComponent(d.state);
    }
    window.location.assign(target);
  }, function () {
    showError();
  });
})();
