// A tiny observable store with middleware, used by the dashboard.

import { EventEmitter } from "events";

export const DEFAULT_STATE = Object.freeze({ items: [], loading: false });
const MAX_LISTENERS = 20;
let instanceCount = 0;
var legacyFlag = false;

export const identity = (x) => x;
const compose = function (...fns) {
  return fns.reduce((f, g) => (...args) => f(g(...args)));
};

function* idGenerator(start = 0) {
  let id = start;
  while (true) {
    yield id++;
  }
}

export function createLogger(prefix) {
  const format = (msg) => `${prefix}: ${msg}`;
  return {
    log(msg) {
      console.log(format(msg));
    },
  };
}

export class Store extends EventEmitter {
  state = DEFAULT_STATE;
  #middleware = [];
  onChange = (listener) => this.on("change", listener);

  constructor(reducer, initial = DEFAULT_STATE) {
    super();
    this.reducer = reducer;
    this.state = initial;
    instanceCount += 1;
  }

  get snapshot() {
    return { ...this.state };
  }

  use(middleware) {
    this.#middleware.push(middleware);
    return this;
  }

  dispatch(action) {
    const run = compose(...this.#middleware);
    const next = run(this.reducer)(this.state, action);
    if (next !== this.state) {
      this.state = next;
      this.emit("change", next);
    }
  }

  static create(reducer) {
    return new Store(reducer);
  }
}

const Mixin = class Named {
  name() {
    return "mixin";
  }
};

document.addEventListener("DOMContentLoaded", () => {
  const store = Store.create(identity);
  function render() {
    return store.snapshot;
  }
  render();
});

export default Store;
