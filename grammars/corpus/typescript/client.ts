// HTTP client for the orders API, with retries and typed responses.

import type { Agent } from "http";

export const API_VERSION = "v2";
export let retries = 3;
const cache = new Map<string, unknown>();

export type OrderId = string;
type Handler<T> = (value: T) => void;

export enum Status {
  Pending,
  Shipped = "shipped",
  Delivered = 3,
}

export interface Order {
  id: OrderId;
  status: Status;
  total(): number;
  readonly items: string[];
}

interface Transport {
  send(path: string, body?: unknown): Promise<Response>;
}

declare function fetchJson(path: string): Promise<unknown>;

export abstract class BaseClient implements Transport {
  protected readonly baseUrl: string;
  private agent?: Agent;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl;
  }

  abstract send(path: string, body?: unknown): Promise<Response>;

  protected url(path: string): string {
    return `${this.baseUrl}/${API_VERSION}/${path}`;
  }
}

export class OrdersClient extends BaseClient {
  static readonly TIMEOUT_MS = 5_000;
  onError: Handler<Error> = (err) => console.error(err);

  async send(path: string, body?: unknown): Promise<Response> {
    const init: RequestInit = { method: body ? "POST" : "GET" };
    return fetch(this.url(path), init);
  }

  async get(id: OrderId): Promise<Order> {
    const cached = cache.get(id);
    if (cached) {
      return cached as Order;
    }
    const response = await this.send(`orders/${id}`);
    return (await response.json()) as Order;
  }
}

export namespace Orders {
  export function isShipped(order: Order): boolean {
    return order.status === Status.Shipped;
  }
}

declare module "orders-plugin" {
  export function register(client: OrdersClient): void;
}

export const createClient = (url: string): OrdersClient => new OrdersClient(url);

export function withRetry<T>(fn: () => Promise<T>, times = retries): Promise<T> {
  const attempt = (n: number): Promise<T> =>
    fn().catch((err) => (n > 0 ? attempt(n - 1) : Promise.reject(err)));
  return attempt(times);
}
