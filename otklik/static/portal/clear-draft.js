// The message is registered: the draft kept in the browser is no longer needed.
try { localStorage.removeItem("otklik-draft"); } catch (e) { /* storage unavailable */ }
