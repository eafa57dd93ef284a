// The sandbox card form's 3-D Secure step, like the page Stripe shows for its test cards: a dialog
// with "Complete authentication" and "Fail authentication". Progressive enhancement: the answer goes
// into the hidden `card_three_d_secure` field and the form is submitted; without this script the
// server answers a 3-D Secure test card with a field error asking to complete authentication.
(function () {
  'use strict';
  var entries = document.querySelectorAll('[data-card-entry="sandbox"]');
  Array.prototype.forEach.call(entries, function (entry) {
    var form = entry.closest('form');
    var dialog = entry.querySelector('dialog[data-three-d-secure]');
    var number = entry.querySelector('input[name="card_number"]');
    var result = entry.querySelector('input[name="card_three_d_secure"]');
    if (!form || !dialog || !number || !result || typeof dialog.showModal !== 'function') return;
    var cards = (entry.getAttribute('data-three-d-secure-cards') || '').split(' ');
    var digitsOf = function (typed) {
      return /^[0-9 -]+$/.test(typed.trim()) ? typed.replace(/[ -]/g, '') : '';
    };

    // A changed number needs its own authentication.
    number.addEventListener('input', function () {
      result.value = '';
    });

    form.addEventListener('submit', function (event) {
      if (result.value !== '' || cards.indexOf(digitsOf(number.value)) === -1) return;
      event.preventDefault();
      dialog.showModal();
    });

    var answer = function (value) {
      result.value = value;
      dialog.close();
      // The field now holds the answer, so the submit handler lets this submission through.
      if (typeof form.requestSubmit === 'function') form.requestSubmit();
      else form.submit();
    };
    dialog.querySelector('[data-three-d-secure-answer="completed"]').addEventListener('click', function () {
      answer('completed');
    });
    dialog.querySelector('[data-three-d-secure-answer="failed"]').addEventListener('click', function () {
      answer('failed');
    });
  });
})();
