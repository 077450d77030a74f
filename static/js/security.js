// Sign-in security page: once a security key or passkey is registered, show the new list.
(function () {
  "use strict";
  document.addEventListener("otp_webauthn.register_complete", function () {
    var holder = document.querySelector("[data-mfa-done-url]");
    window.location.assign(holder ? holder.getAttribute("data-mfa-done-url") : window.location.href);
  });
})();
