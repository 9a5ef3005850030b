// The counter page: find a member (camera QR or number), award points, use a voucher.
// Each confirmation carries an attempt key; the server keeps the first result for a
// key, so a double tap or a retry never awards twice. A new key follows each success,
// and each change of member or amount after a failure (that is a new purchase).
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
  $("currency").textContent = root.dataset.currency;

  function showError(message) {
    const box = $("error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error((data.error && data.error.message) || t.failed);
    return data;
  }

  function showMember(m) {
    member = m;
    $("member").hidden = false;
    $("member-name").textContent = m.name || "#" + m.member_number;
    // Each part in its own isolate (LRI/FSI ... PDI), so "#123", a Latin tier name and the
    // balance keep their order inside an Arabic line; the balance grouped as elsewhere.
    $("member-meta").textContent = "\u2066#" + m.member_number + "\u2069 · \u2068" + (m.tier || "—") +
      "\u2069 · " + Number(m.points).toLocaleString("en") + " " + t.points;
    $("result").hidden = true;
    $("amount").focus();
  }

  async function lookup(body) {
    showError("");
    try {
      showMember((await post(root.dataset.lookup, body)).member);
    } catch (e) {
      showError(e.message);
    }
  }

  $("find").addEventListener("click", () => lookup({ member_number: $("member-number").value.trim() }));
  $("member-number").addEventListener("keydown", (e) => { if (e.key === "Enter") $("find").click(); });

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
      const result = $("result");
      result.hidden = false;
      result.innerHTML = "";
      const points = document.createElement("div");
      points.className = "ok";
      const grouped = (n) => Number(n).toLocaleString("en");
      points.textContent = t.awarded.replace("%(points)s", grouped(data.points)).replace("%(balance)s", grouped(data.balance));
      const explanation = document.createElement("div");
      explanation.dir = "ltr";  // the English line reads left to right on an Arabic page too
      explanation.lang = "en";
      explanation.textContent = data.explanation;
      const arabic = document.createElement("div");
      arabic.dir = "rtl";
      arabic.lang = "ar";
      arabic.textContent = data.explanation_ar;
      result.append(points, explanation, arabic);
      member.points = data.balance;
      $("amount").value = "";
    } catch (e) {
      showError(e.message);  // the same attempt key is kept: retrying cannot award twice
    } finally {
      busy = false;
      $("award").disabled = false;
    }
  });

  async function verify(code, use) {
    showError("");
    try {
      voucher = (await post(root.dataset.voucher, { code: code, use: !!use })).voucher;
      const box = $("voucher");
      box.hidden = false;
      box.textContent = voucher.reward + " · " + voucher.points + " " + t.points + " · " +
        (t.statuses[voucher.status] || voucher.status) + " · #" + voucher.member.member_number;
      $("use").hidden = !["pending", "approved"].includes(voucher.status);
    } catch (e) {
      showError(e.message);
    }
  }
  $("verify").addEventListener("click", () => verify($("voucher-code").value.trim()));
  $("use").addEventListener("click", () => voucher && verify(voucher.code, true));

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
          if (/^[A-Z0-9]{8}$/.test(text)) verify(text); else lookup({ token: text });
          return;
        }
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
})();
