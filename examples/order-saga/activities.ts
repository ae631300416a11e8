import { ApplicationFailure } from '@odin/sdk';
import { ledger } from './ledger.js';

// The order saga's activities: each forward step has an undo. Shipping refuses orders to "nowhere".
export interface Order {
  orderId: string;
  item: string;
  quantity: number;
  amount: number;
  address: string;
}

export async function reserveInventory(order: Order): Promise<string> {
  ledger.push(`reserve ${order.quantity} x ${order.item}`);
  return `res-${order.orderId}`;
}

export async function releaseInventory(reservationId: string): Promise<void> {
  ledger.push(`release ${reservationId}`);
}

export async function chargePayment(order: Order): Promise<string> {
  ledger.push(`charge ${order.amount}`);
  return `pay-${order.orderId}`;
}

export async function refundPayment(paymentId: string): Promise<void> {
  ledger.push(`refund ${paymentId}`);
}

export async function shipOrder(order: Order): Promise<string> {
  if (order.address === 'nowhere') {
    throw ApplicationFailure.nonRetryable(`cannot ship to ${order.address}`, 'ShippingRefused');
  }
  ledger.push(`ship to ${order.address}`);
  return `trk-${order.orderId}`;
}
