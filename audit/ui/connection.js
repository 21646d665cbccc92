// Served by the app (same origin, so the CSP allows it); loaded once by audit/ui/connection.py.
// While the browser is offline or Streamlit has lost its websocket, the page says so; once both are
// back, the hidden "send again" button is pressed (its rerun carries every widget's value, and the
// server saves whatever it does not hold yet) until the server confirms by drawing a "back" line.
(() => {
  if (window.auditConnection) return;
  const POLL_MS = 400;
  const RETRY_MS = 8000;
  const SHOW_BACK_MS = 30000;
  const root = document.documentElement;
  const state = { down: false, clicked: 0, expected: 0, hideBack: 0 };
  window.auditConnection = state;

  const resendButton = () => document.querySelector(".st-key-connection-resend button");
  const backCount = () => {
    let count = 0;
    for (const element of document.querySelectorAll("[class*='st-key-connection-back-']")) {
      const match = element.className.match(/st-key-connection-back-(\d+)/);
      if (match) count = Math.max(count, Number(match[1]));
    }
    return count;
  };
  const show = (name) => {
    for (const other of ["audit-offline", "audit-sending", "audit-back"]) root.classList.toggle(other, other === name);
  };

  function check() {
    const button = resendButton();
    if (!button) return; // signed out, or the page is still drawing
    const up = navigator.onLine && !button.disabled; // Streamlit disables every widget while disconnected
    const now = Date.now();
    if (!up) {
      state.down = true;
      state.expected = 0;
      show("audit-offline");
      return;
    }
    if (state.down) {
      if (state.expected && backCount() >= state.expected) {
        state.down = false;
        state.hideBack = now + SHOW_BACK_MS;
        show("audit-back");
        return;
      }
      show("audit-sending");
      if (!state.expected || now - state.clicked > RETRY_MS) {
        // A text field still being typed in sends its value when it loses focus.
        const active = document.activeElement;
        if (active && active.matches("textarea, input")) active.blur();
        state.expected = backCount() + 1;
        state.clicked = now;
        button.click();
      }
      return;
    }
    if (state.hideBack && now > state.hideBack) {
      state.hideBack = 0;
      show(null);
    }
  }

  window.addEventListener("offline", check);
  window.addEventListener("online", check);
  setInterval(check, POLL_MS);
  check();
})();
