// State that a page reload would lose: the tests (and you) can see that a CSS edit keeps it.
let count = 0
const counter = /** @type {HTMLButtonElement} */ (document.querySelector('#counter'))
counter.addEventListener('click', () => {
  counter.textContent = `count: ${++count}`
})
