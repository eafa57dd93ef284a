// Card entry through Stripe.js: mounts the Payment Element for the SetupIntent the server made,
// confirms it on submit (3-D Secure in Stripe's own dialog, or on the bank's page for cards that
// redirect), then posts the SetupIntent id in the hidden `setup_intent` field. The server reads the
// SetupIntent from Stripe itself and believes nothing this script says about it.
(function () {
  'use strict';
  var entry = document.querySelector('[data-card-entry="stripe"]');
  if (!entry) return;
  var form = entry.closest('form');
  var hidden = entry.querySelector('input[name="setup_intent"]');
  var mount = entry.querySelector('[data-payment-element]');
  var problem = entry.querySelector('[data-card-entry-problem]');
  if (!form || !hidden || !mount || !problem) return;
  // With the SetupIntent id in place the submit handler lets the submission through.
  var submit = function () {
    if (typeof form.requestSubmit === 'function') form.requestSubmit();
    else form.submit();
  };
  var show = function (message) {
    problem.textContent = message;
    problem.hidden = false;
  };
  if (typeof window.Stripe !== 'function') {
    show(entry.getAttribute('data-unavailable-message'));
    return;
  }

  // The rest of the form survives a trip to the bank's page in this tab's session storage.
  var savedKey = 'card-entry:' + location.pathname;
  var keep = function () {
    var values = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.name === '_csrf' || field.name === 'setup_intent' || field.type === 'password' || field.type === 'hidden') return;
      if ((field.type === 'checkbox' || field.type === 'radio') && !field.checked) return;
      values[field.name] = field.value;
    });
    sessionStorage.setItem(savedKey, JSON.stringify(values));
  };
  var restore = function () {
    var values = JSON.parse(sessionStorage.getItem(savedKey) || '{}');
    sessionStorage.removeItem(savedKey);
    Object.keys(values).forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (field && 'value' in field && field.type !== 'checkbox' && field.type !== 'radio') field.value = values[name];
    });
  };

  // Back from the bank's page: Stripe appended the SetupIntent id. Post it as if just confirmed.
  var query = new URLSearchParams(location.search);
  if (query.get('setup_intent') && query.get('redirect_status')) {
    restore();
    hidden.value = query.get('setup_intent');
    submit();
    return;
  }

  var stripe = window.Stripe(entry.getAttribute('data-publishable-key'));
  var elements = stripe.elements({ clientSecret: entry.getAttribute('data-client-secret') });
  elements.create('payment').mount(mount);

  var returnUrl = function () {
    var url = new URL(location.href);
    ['setup_intent', 'setup_intent_client_secret', 'redirect_status'].forEach(function (name) {
      url.searchParams.delete(name);
    });
    return url.toString();
  };

  var confirming = false;
  form.addEventListener('submit', function (event) {
    if (hidden.value !== '') return;
    event.preventDefault();
    if (confirming) return;
    confirming = true;
    problem.hidden = true;
    keep();
    stripe
      .confirmSetup({ elements: elements, redirect: 'if_required', confirmParams: { return_url: returnUrl() } })
      .then(function (outcome) {
        confirming = false;
        if (outcome.error) {
          sessionStorage.removeItem(savedKey);
          show(outcome.error.message || entry.getAttribute('data-declined-message'));
          return;
        }
        sessionStorage.removeItem(savedKey);
        hidden.value = outcome.setupIntent.id;
        submit();
      })
      .catch(function () {
        // Stripe.js answers declines as outcome.error; a rejection is the network or Stripe.js failing.
        confirming = false;
        sessionStorage.removeItem(savedKey);
        show(entry.getAttribute('data-unavailable-message'));
      });
  });
})();
