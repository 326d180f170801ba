/* dd JSAPI shim for the DingTalk simulator (dingtalktest).
 * Free-login codes are minted by the simulator for its "current DingTalk
 * client user" (see /__sim/), so browser tests are deterministic. */
(function () {
  'use strict';
  var sim = /*SIM_CONFIG*/null || {};
  var script = document.currentScript;
  var base = script && script.src ? new URL(script.src).origin : window.location.origin;
  var ua = navigator.userAgent || '';
  var inDingTalk = (/dingtalk/i.test(ua) && !/DingTalk-LinkService/i.test(ua)) || sim.client === true;
  var platform = 'notInDingTalk';
  if (inDingTalk) {
    if (/iPhone|iPad|iPod/i.test(ua)) platform = 'ios';
    else if (/Android/i.test(ua)) platform = 'android';
    else platform = 'pc';
  }

  var readyFns = [], errorFns = [], isReady = false;
  function flushReady() {
    isReady = true;
    var fns = readyFns; readyFns = [];
    fns.forEach(function (fn) { try { fn(); } catch (e) { setTimeout(function () { throw e; }); } });
  }
  setTimeout(flushReady, 0);

  function mint(corpId, clientId) {
    if (!inDingTalk) {
      return Promise.reject({ errorCode: '-1', errorMessage: 'not in DingTalk client' });
    }
    return fetch(base + '/__sim/jsapi/authcode', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ corpId: corpId || '', clientId: clientId || '' })
    }).then(function (resp) {
      return resp.json().then(function (body) {
        if (!resp.ok || !body.code) throw body;
        return body.code;
      });
    }, function () {
      throw { errorCode: '3', errorMessage: 'simulator unreachable' };
    });
  }

  // call runs a JSAPI with both callback styles and returns a promise.
  function call(p, shape, ok, fail) {
    p = p || {};
    return mint(p.corpId, p.clientId).then(function (code) {
      var res = shape(code);
      if (typeof p[ok] === 'function') p[ok](res);
      if (typeof p.complete === 'function') p.complete(res);
      return res;
    }, function (err) {
      if (typeof p[fail] === 'function') p[fail](err);
      if (typeof p.complete === 'function') p.complete(err);
      throw err;
    });
  }
  function quiet(promise) { promise.catch(function () {}); return promise; }

  var dd = {
    version: '3.1.0',
    env: { platform: platform, version: inDingTalk ? '7.6.0' : '' },
    corpId: sim.corpId || '',
    ready: function (fn) { if (isReady) setTimeout(fn, 0); else readyFns.push(fn); },
    error: function (fn) { errorFns.push(fn); },
    config: function () {},
    // H5, current API: res.code
    requestAuthCode: function (p) {
      p = p || {};
      return quiet(call(p, function (c) { return { code: c }; }, p.onSuccess ? 'onSuccess' : 'success', p.onFail ? 'onFail' : 'fail'));
    },
    // Mini program: res.authCode. The legacy page passes no corpId: the
    // code is then for the current corp (dd.corpId).
    getAuthCode: function (p) {
      p = Object.assign({}, p);
      p.corpId = p.corpId || dd.corpId;
      return quiet(call(p, function (c) { return { authCode: c }; }, 'success', 'fail'));
    },
    runtime: {
      permission: {
        // H5, legacy API: info.code
        requestAuthCode: function (p) {
          return quiet(call(p, function (c) { return { code: c }; }, 'onSuccess', 'onFail'));
        }
      }
    }
  };
  window.dd = dd;
})();
