// Sheet A comes with the app: Rsbuild extracts it to static/css/index.css.
import './styles/a.css'

// Page state that a full reload would lose: the count must survive every stylesheet edit.
const button = /** @type {HTMLButtonElement} */ (document.querySelector('#counter'))
let count = 0
button.addEventListener('click', () => {
  button.textContent = `count: ${++count}`
})
