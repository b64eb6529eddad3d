// Fictitious training site: fills in each seller's contact box after the page has
// loaded, as many real marketplaces do, so the details are absent from the raw HTML.
"use strict";
(function () {
  function line(label, value, cls) {
    var p = document.createElement("p");
    p.className = cls;
    var b = document.createElement("b");
    b.textContent = label + ": ";
    p.appendChild(b);
    p.appendChild(document.createTextNode(value));
    return p;
  }
  function fill(box) {
    var handle = box.getAttribute("data-contact");
    fetch("/api/contact/" + encodeURIComponent(handle), { headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        box.textContent = "";
        box.appendChild(line("Phone", data.phone, "contact-phone"));
        box.appendChild(line("Messaging", data.messaging, "contact-messaging"));
        box.appendChild(line("E-mail", data.email, "contact-email"));
        box.setAttribute("data-loaded", "true");
      })
      .catch(function () {
        box.textContent = "Contact details unavailable.";
      });
  }
  var boxes = document.querySelectorAll("[data-contact]");
  for (var i = 0; i < boxes.length; i++) { fill(boxes[i]); }
})();
