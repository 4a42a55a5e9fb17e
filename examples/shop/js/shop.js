// The demo shop: a catalog, a cart in localStorage, and Clickpath's web SDK (js/clickpath.iife.js, copied from
// sdks/web/dist by `make example-site`) capturing what a visitor does.
//
// Where events go: ?host=…&key=… in the URL (remembered in this browser), else the server's /config.json
// (capture_url, and the demo project's project_api_key once `clickpath up` wrote demo.json).
//
// What is captured: $pageview on every page (the SDK, automatically); `clicked` for every button with a
// data-track name; `signed_up` after identify(email) on the sign-up form; `purchase` with amount and currency
// at checkout. window.shop.log lists every call the page made, for the tests.

const CURRENCY = 'USD'
const PRODUCTS = [
  { id: 'trail-runner', name: 'Trail runner', price: 119.0, color: '#fee2e2', blurb: 'Light, grippy, made for mud.' },
  { id: 'rain-shell', name: 'Rain shell', price: 89.5, color: '#dbeafe', blurb: 'Packs into its own pocket.' },
  { id: 'day-pack', name: 'Day pack', price: 64.0, color: '#dcfce7', blurb: '22 litres, a pocket for everything.' },
  { id: 'water-bottle', name: 'Water bottle', price: 24.99, color: '#fef9c3', blurb: 'Keeps it cold for a day.' },
  { id: 'head-torch', name: 'Head torch', price: 39.0, color: '#ede9fe', blurb: '400 lumens, USB charged.' },
  { id: 'wool-socks', name: 'Wool socks', price: 18.0, color: '#ffedd5', blurb: 'Merino, three pairs.' },
]
const CONFIG_KEY = 'shop_config'
const CART_KEY = 'shop_cart'
const USER_KEY = 'shop_user'

const log = []
const params = new URLSearchParams(location.search)

// Configuration -------------------------------------------------------------------------------------------

async function loadConfig() {
  let server = {}
  try {
    const response = await fetch('/config.json', { cache: 'no-store' })
    if (response.ok) server = await response.json()
  } catch (error) {
    console.warn('no /config.json', error)
  }
  let stored = {}
  try {
    stored = JSON.parse(localStorage.getItem(CONFIG_KEY) || '{}')
  } catch {
    stored = {}
  }
  const host = params.get('host') || stored.host || server.capture_url
  const key = params.get('key') || stored.key || server.project_api_key
  if (params.get('host') || params.get('key')) localStorage.setItem(CONFIG_KEY, JSON.stringify({ host, key }))
  return { host, key, from: params.get('key') || stored.key ? 'this browser (?key=)' : '/config.json' }
}

// Tracking ------------------------------------------------------------------------------------------------

let analytics = null

function capture(event, properties = {}) {
  log.push({ call: 'capture', event, properties })
  analytics?.capture(event, properties)
}

function identify(distinctId, set) {
  log.push({ call: 'identify', distinctId, set })
  analytics?.identify(distinctId, set)
}

// Every button with data-track="name" sends `clicked` with its name, the page and its data-* details.
function trackClicks() {
  document.addEventListener(
    'click',
    (event) => {
      const button = event.target.closest('[data-track]')
      if (!button) return
      const { track, add, ...data } = button.dataset
      const details = Object.fromEntries(
        Object.entries(data).map(([name, value]) => [name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), value]),
      )
      capture('clicked', { button: track, page: document.body.dataset.page, ...details })
    },
    true,
  )
}

// Cart and user ---------------------------------------------------------------------------------------------

const cart = {
  items() {
    try {
      return JSON.parse(localStorage.getItem(CART_KEY) || '[]')
    } catch {
      return []
    }
  },
  save(items) {
    localStorage.setItem(CART_KEY, JSON.stringify(items))
    renderCartCount()
  },
  add(id) {
    const items = this.items()
    const line = items.find((item) => item.id === id)
    if (line) line.quantity += 1
    else items.push({ id, quantity: 1 })
    this.save(items)
  },
  total() {
    return round(this.items().reduce((sum, item) => sum + product(item.id).price * item.quantity, 0))
  },
}

const round = (value) => Math.round(value * 100) / 100
const money = (value) => value.toLocaleString('en-US', { style: 'currency', currency: CURRENCY })
const product = (id) => PRODUCTS.find((p) => p.id === id)
const user = () => JSON.parse(localStorage.getItem(USER_KEY) || 'null')
const initials = (name) => name.split(' ').map((word) => word[0].toUpperCase()).join('')
const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

// Layout ----------------------------------------------------------------------------------------------------

function renderChrome() {
  const page = document.body.dataset.page
  const link = (href, name, label) => `<a href="${href}" class="${page === name ? 'active' : ''}">${label}</a>`
  document.querySelector('header').innerHTML = `
    <div class="bar">
      <a class="logo" href="index.html">▲ Trailhead</a>
      <nav>${link('index.html', 'home', 'Home')}${link('products.html', 'products', 'Shop')}${link('signup.html', 'signup', 'Sign up')}</nav>
      <a class="cart-link" href="checkout.html" id="cart-link">Cart (<span id="cart-count">0</span>)</a>
    </div>`
  renderCartCount()
}

function renderCartCount() {
  const count = cart.items().reduce((sum, item) => sum + item.quantity, 0)
  const badge = document.getElementById('cart-count')
  if (badge) badge.textContent = String(count)
}

function renderFooter(config) {
  const footer = document.querySelector('footer')
  if (!config.key || !config.host) {
    footer.innerHTML = `<div class="warning">Not sending events: no project key. Run <code>make up</code> (the
      server then offers the demo project's key) or open this page with <code>?key=phc_…&amp;host=http://…</code>.</div>`
    return
  }
  const signedIn = user()
  footer.innerHTML = `A demo shop for Clickpath: events go to
    <code>${escape(config.host)}</code> with key <code>${escape(config.key.slice(0, 8))}…</code> (from ${config.from}).
    ${signedIn ? `Signed up as ${escape(signedIn.email)}.` : 'Anonymous visitor.'}`
}

// Pages -----------------------------------------------------------------------------------------------------

function card(p) {
  return `<div class="card">
    <a href="product.html?id=${p.id}"><div class="swatch" style="background:${p.color}">${initials(p.name)}</div></a>
    <h3><a href="product.html?id=${p.id}">${escape(p.name)}</a></h3>
    <div class="muted">${escape(p.blurb)}</div>
    <div class="price">${money(p.price)}</div>
    <button data-track="add_to_cart" data-product-id="${p.id}" data-add="${p.id}">Add to cart</button>
  </div>`
}

const pages = {
  home(main) {
    main.querySelector('#featured').innerHTML = PRODUCTS.slice(0, 3).map(card).join('')
  },
  products(main) {
    main.querySelector('#catalog').innerHTML = PRODUCTS.map(card).join('')
  },
  product(main) {
    const p = product(params.get('id')) || PRODUCTS[0]
    document.title = `${p.name} · Trailhead`
    main.querySelector('#product').innerHTML = `
      <div class="swatch" style="background:${p.color}">${initials(p.name)}</div>
      <div>
        <h1>${escape(p.name)}</h1>
        <p class="lead">${escape(p.blurb)}</p>
        <p class="price" style="font-size:24px">${money(p.price)}</p>
        <p><button data-track="add_to_cart" data-product-id="${p.id}" data-add="${p.id}" id="add">Add to cart</button>
        <a class="button" style="background:white;color:#1f2933;border:1px solid #e4e7eb" href="checkout.html"
          data-track="go_to_checkout" data-product-id="${p.id}">Go to checkout</a></p>
      </div>`
  },
  signup(main) {
    const form = main.querySelector('form')
    const done = main.querySelector('#signed-up')
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      const email = form.email.value.trim().toLowerCase()
      const name = form.name.value.trim()
      const plan = form.plan.value
      identify(email, { email, name, plan })
      capture('signed_up', { method: 'email', plan })
      localStorage.setItem(USER_KEY, JSON.stringify({ email, name }))
      form.hidden = true
      done.hidden = false
      done.querySelector('#welcome-name').textContent = name || email
    })
  },
  checkout(main) {
    const render = () => {
      const items = cart.items()
      const rows = items
        .map((item) => {
          const p = product(item.id)
          return `<tr><td>${escape(p.name)}</td><td>${item.quantity}</td><td>${money(p.price * item.quantity)}</td></tr>`
        })
        .join('')
      main.querySelector('#lines').innerHTML = rows || '<tr><td colspan="3" class="muted">Your cart is empty.</td></tr>'
      main.querySelector('#total').textContent = money(cart.total())
      main.querySelector('#pay').disabled = items.length === 0
    }
    render()
    main.querySelector('#pay').addEventListener('click', () => {
      const items = cart.items()
      if (!items.length) return
      const order = {
        order_id: `ord_${Date.now().toString(36)}`,
        amount: cart.total(),
        currency: CURRENCY,
        items: items.reduce((sum, item) => sum + item.quantity, 0),
        product_ids: items.map((item) => item.id),
      }
      capture('purchase', order)
      cart.save([])
      render()
      const notice = main.querySelector('#paid')
      notice.hidden = false
      notice.querySelector('#order').textContent = `${order.order_id}, ${money(order.amount)}`
    })
  },
}

// Start -----------------------------------------------------------------------------------------------------

async function start() {
  renderChrome()
  const config = await loadConfig()
  if (config.key && config.host && window.clickpath) {
    window.clickpath.init(config.key, { host: config.host, flushInterval: 500 })
    analytics = window.clickpath
    log.push({ call: 'init', host: config.host, key: config.key })
  }
  renderFooter(config)
  trackClicks()
  const main = document.querySelector('main')
  pages[document.body.dataset.page]?.(main)
  main.addEventListener('click', (event) => {
    const button = event.target.closest('[data-add]')
    if (!button) return
    cart.add(button.dataset.add)
    button.textContent = 'Added ✓'
  })
  return config
}

window.shop = { log, ready: start(), cart, products: PRODUCTS }
