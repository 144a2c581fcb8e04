// A page left open after its session ended (expired, signed out in another tab, the account
// removed, a screen link revoked) would stay as it was: every callback refused with 401/403
// and nothing said. The sign-in gate (auth/gate.py, RELOAD_HEADER) marks such refusals; reload
// the page then, so that its own request gets the sign-in page (and back here after it) or the
// reason. At most once per 30 s, so that a refusal the page itself cannot clear never loops.
(function () {
  var fetchBefore = window.fetch;
  if (!fetchBefore) return;
  var KEY = "northstar-reloaded-at";
  window.fetch = function () {
    return fetchBefore.apply(this, arguments).then(function (response) {
      if (response.headers.get("X-Northstar-Reload") === "1") {
        var last = Number(window.sessionStorage.getItem(KEY) || 0);
        if (Date.now() - last > 30000) {
          window.sessionStorage.setItem(KEY, String(Date.now()));
          window.location.reload();
        }
      }
      return response;
    });
  };
})();
