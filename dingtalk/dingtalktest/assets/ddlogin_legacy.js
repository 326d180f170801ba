/* Legacy DDLogin for the DingTalk simulator (dingtalktest).
 * DDLogin({id, goto, style, width, height, href}) inserts an iframe
 * <simulator>/login/qrcode.htm?goto=<goto>[&style=…][&href=…] into #id
 * (default 365×400); goto arrives already encodeURIComponent'd. After a
 * scan the iframe posts the loginTmpCode to this window, whose page checks
 * event.origin and opens the goto URL plus &loginTmpCode=. */
(function () {
  'use strict';
  var script = document.currentScript;
  var base = script && script.src ? new URL(script.src).origin : window.location.origin;

  function DDLogin(a) {
    a = a || {};
    var box = document.getElementById(a.id);
    if (!box) return;
    var src = base + '/login/qrcode.htm?goto=' + a.goto;
    if (a.style) src += '&style=' + encodeURIComponent(a.style);
    if (a.href) src += '&href=' + a.href;
    var frame = document.createElement('iframe');
    frame.src = src;
    frame.frameBorder = '0';
    frame.scrolling = 'no';
    frame.width = String(a.width || 365);
    frame.height = String(a.height || 400);
    box.innerHTML = '';
    box.appendChild(frame);
  }

  window.DDLogin = DDLogin;
})();
