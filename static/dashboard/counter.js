// The counter page: find a member (camera QR, member number or phone number) or enrol a
// new customer by phone, award points, use a voucher.
// Each confirmation carries an attempt key; the server keeps the first result for a
// key, so a double tap or a retry never awards twice. A new key follows each success,
// and each change of member or amount after a failure (that is a new purchase).
// Names and numbers come from the server already written for a person; they are put in
// <bdi> (names, either direction) or left-to-right spans (numbers, phones, codes).
(function () {
  const root = document.getElementById("counter");
  const $ = (id) => document.getElementById(id);
  const csrf = root.querySelector("[name=csrfmiddlewaretoken]").value;
  const t = JSON.parse($("counter-texts").textContent);
  let attempt = root.dataset.attempt;
  let tried = null;  // what the current key was last sent for: "member:amount"
  const freshKey = () =>
    (window.crypto && crypto.randomUUID ? crypto.randomUUID() : Date.now() + "-" + Math.random()).replace(/-/g, "");
  let member = null;
  let voucher = null;
  let busy = false;
  let enrolPhone = null;  // the number the last code was sent to
  $("currency").textContent = root.dataset.currency;

  function showError(message) {
    const box = $("error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  const bdi = (text) => { const e = document.createElement("bdi"); e.textContent = text; return e; };
  const ltr = (text) => { const e = document.createElement("span"); e.dir = "ltr"; e.textContent = text; return e; };

  // A translated sentence with %(name)s placeholders, each value isolated as given.
  function sentence(template, values) {
    const out = document.createElement("span");
    template.split(/(%\(\w+\)s)/).forEach((part) => {
      const name = (part.match(/^%\((\w+)\)s$/) || [])[1];
      out.append(name ? values[name] : document.createTextNode(part));
    });
    return out;
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error((data.error && data.error.message) || t.failed);
      error.code = data.error && data.error.code;
      error.fields = (data.error && data.error.fields) || {};
      throw error;
    }
    return data;
  }

  // One request at a time per button: a double tap sends nothing twice.
  async function once(button, action) {
    if (button.disabled) return;
    button.disabled = true;
    try { await action(); } finally { button.disabled = false; }
  }

  function memberLine(m) {
    const meta = $("member-meta");
    meta.replaceChildren(ltr("#" + m.member_number));
    if (m.tier) meta.append(" · ", bdi(m.tier));
    meta.append(" · ", ltr(m.points_text), " " + t.points);
    if (m.phone) meta.append(" · ", ltr(m.phone));
  }

  function showMember(m, note) {
    member = m;
    $("member").hidden = false;
    $("member-name").replaceChildren(bdi(m.name));
    memberLine(m);
    $("member-note").textContent = note || "";
    $("member-note").hidden = !note;
    $("result").hidden = true;
    enrolClose();
    $("amount").focus();
  }

  async function lookup(body) {
    showError("");
    try {
      showMember((await post(root.dataset.lookup, body)).member);
    } catch (e) {
      showError(e.message);
      // A phone number of no member here: enrol them with it.
      if (e.code === "member_not_found" && e.fields.phone && $("enrol")) enrolOpen(e.fields.phone);
    }
  }

  $("find").addEventListener("click", () => once($("find"), () => lookup({ query: $("member-number").value.trim() })));
  $("member-number").addEventListener("keydown", (e) => { if (e.key === "Enter") $("find").click(); });

  // Enrolment: the number, then the code the customer reads out (or none, where allowed).
  function enrolOpen(phone) {
    $("enrol").hidden = false;
    $("member").hidden = true;
    $("result").hidden = true;
    member = null;
    if (phone !== undefined) $("enrol-phone").value = phone;
    $("enrol-code-step").hidden = true;
    $("enrol-code").value = "";
    (phone ? $("enrol-name") : $("enrol-phone")).focus();
  }
  function enrolClose() {
    if (!$("enrol")) return;
    $("enrol").hidden = true;
    $("enrol-phone").value = $("enrol-name").value = $("enrol-code").value = "";
    $("enrol-code-step").hidden = true;
    enrolPhone = null;
  }
  async function enrolSend() {
    showError("");
    try {
      const data = await post(root.dataset.enrol, { phone: $("enrol-phone").value.trim() });
      if (data.member) { showMember(data.member); return; }  // a member already
      enrolPhone = data.phone;
      $("enrol-sent").replaceChildren(sentence(t.sent, { phone: ltr(data.phone) }));
      $("enrol-code-step").hidden = false;
      $("enrol-code").focus();
    } catch (e) {
      showError(e.message);
    }
  }
  async function enrolConfirm(withoutCode) {
    showError("");
    const body = { phone: enrolPhone || $("enrol-phone").value.trim(), name: $("enrol-name").value.trim() };
    if (withoutCode) body.without_code = true; else body.code = $("enrol-code").value.trim();
    try {
      showMember((await post(root.dataset.enrolConfirm, body)).member, t.joined);
    } catch (e) {
      showError(e.message);
    }
  }
  if ($("enrol")) {
    $("enrol-open").addEventListener("click", () => enrolOpen(/^[\d\s+\-\u0660-\u0669\u06f0-\u06f9]{9,}$/.test($("member-number").value.trim()) ? $("member-number").value.trim() : undefined));
    $("enrol-send").addEventListener("click", () => once($("enrol-send"), enrolSend));
    $("enrol-confirm").addEventListener("click", () => once($("enrol-confirm"), () => enrolConfirm(false)));
    $("enrol-code").addEventListener("keydown", (e) => { if (e.key === "Enter") $("enrol-confirm").click(); });
    if ($("enrol-skip")) $("enrol-skip").addEventListener("click", () => once($("enrol-skip"), () => enrolConfirm(true)));
  }

  $("award").addEventListener("click", async () => {
    if (!member || busy) return;
    const amount = $("amount").value.trim();
    // Arabic-Indic digits and the Arabic decimal separator are amounts too (the server reads them).
    if (!/^[0-9\u0660-\u0669\u06f0-\u06f9]+([.\u066b][0-9\u0660-\u0669\u06f0-\u06f9]{1,3})?$/.test(amount)) {
      showError(t.amount); return;
    }
    const purchase = member.id + ":" + amount;
    if (tried !== null && tried !== purchase) attempt = freshKey();  // not a retry
    tried = purchase;
    busy = true;
    $("award").disabled = true;
    showError("");
    try {
      const data = await post(root.dataset.earn, { member_id: member.id, amount: amount, attempt: attempt });
      attempt = data.next_attempt;
      tried = null;
      const points = document.createElement("div");
      points.className = "ok";
      points.append(sentence(t.awarded, { points: ltr("+" + data.points_text), balance: ltr(data.balance_text) }));
      const explanation = document.createElement("div");
      explanation.dir = "auto";
      explanation.textContent = data.explanation_shown;
      $("result-text").replaceChildren(points, explanation);
      $("result").hidden = false;
      // The balance the server wrote, on the member line too.
      member.points = data.balance;
      member.points_text = data.balance_text;
      memberLine(member);
      $("member-note").hidden = true;
      $("amount").value = "";
      $("next").focus();
    } catch (e) {
      showError(e.message);  // the same attempt key is kept: retrying cannot award twice
    } finally {
      busy = false;
      $("award").disabled = false;
    }
  });

  // The next customer: nothing of the last one stays on the screen.
  $("next").addEventListener("click", () => {
    member = null;
    tried = null;
    attempt = freshKey();
    $("member").hidden = true;
    $("member-name").replaceChildren();
    $("member-meta").replaceChildren();
    $("member-note").hidden = true;
    $("amount").value = "";
    $("result").hidden = true;
    $("result-text").replaceChildren();
    enrolClose();
    showError("");
    $("member-number").value = "";
    $("member-number").focus();
  });

  function clearVoucher() {
    voucher = null;
    $("voucher").hidden = true;
    $("voucher").replaceChildren();
    $("use").hidden = true;
  }

  async function verify(code, use) {
    showError("");
    if (!use) clearVoucher();  // a new code: the last voucher's answer goes first
    try {
      voucher = (await post(root.dataset.voucher, { code: code, use: !!use })).voucher;
      const box = $("voucher");
      box.hidden = false;
      box.replaceChildren(
        bdi(voucher.reward), " · ", ltr(voucher.points), " " + t.points + " · ",
        t.statuses[voucher.status] || voucher.status, " · ", bdi(voucher.member.name),
      );
      box.dataset.status = voucher.status;
      $("use").hidden = !["pending", "approved"].includes(voucher.status);
    } catch (e) {
      showError(e.message);
    }
  }
  $("verify").addEventListener("click", () => once($("verify"), () => verify($("voucher-code").value.trim())));
  $("voucher-code").addEventListener("keydown", (e) => { if (e.key === "Enter") $("verify").click(); });
  $("use").addEventListener("click", () => voucher && once($("use"), () => verify(voucher.code, true)));

  // Camera: the browser's BarcodeDetector where it exists, jsQR otherwise.
  $("scan").addEventListener("click", async () => {
    showError("");
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    } catch (e) {
      showError(t.camera);
      return;
    }
    const video = $("camera");
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    const detector = "BarcodeDetector" in window ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
    const canvas = $("frame");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    const stop = () => { stream.getTracks().forEach((t) => t.stop()); video.hidden = true; };
    const tick = async () => {
      if (video.readyState >= 2) {
        let text = null;
        if (detector) {
          const codes = await detector.detect(video).catch(() => []);
          text = codes.length ? codes[0].rawValue : null;
        } else {
          canvas.width = video.videoWidth;
          canvas.height = video.videoHeight;
          context.drawImage(video, 0, 0);
          const frame = context.getImageData(0, 0, canvas.width, canvas.height);
          const code = window.jsQR(frame.data, frame.width, frame.height);
          text = code ? code.data : null;
        }
        if (text) {
          stop();
          // A wallet pass's QR is the member number (digits); a voucher code has letters.
          if (/^[0-9]{6,12}$/.test(text)) lookup({ token: text });
          else if (/^[A-Z0-9]{8}$/.test(text)) verify(text);
          else lookup({ token: text });
          return;
        }
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
})();
