import { newId, objectOf } from './decode';
import { segment } from './ids';
import { DolibarrTransport } from './transport';
import { Invoice, InvoiceInput, InvoiceLineInput, InvoiceValidateInput } from './types';

/** `/invoices` (htdocs/compta/facture/class/api_invoices.class.php). */
export class InvoicesApi {
  constructor(private readonly http: DolibarrTransport) {}

  /** `POST /invoices`; resolves to the new (draft) invoice id. */
  async create(input: InvoiceInput): Promise<number> {
    return this.http.call({ method: 'POST', resource: '/invoices', body: input, expect: 'the new invoice id as a bare JSON number', decode: newId });
  }

  /** `POST /invoices/{id}/lines`; resolves to the new line id. */
  async addLine(invoiceId: number, line: InvoiceLineInput): Promise<number> {
    return this.http.call({
      method: 'POST',
      resource: `/invoices/${segment(invoiceId)}/lines`,
      body: line,
      expect: `the new line id of invoice ${invoiceId} as a bare JSON number`,
      decode: newId,
    });
  }

  /**
   * `POST /invoices/{id}/validate` with `{"idwarehouse":0,"notrigger":0}` unless
   * overridden; resolves to the validated invoice (final ref). Never retried
   * once sent: a second validate could number or book the invoice twice.
   */
  async validate(invoiceId: number, options: InvoiceValidateInput = {}): Promise<Invoice> {
    return this.http.call({
      method: 'POST',
      resource: `/invoices/${segment(invoiceId)}/validate`,
      body: { idwarehouse: options.idwarehouse ?? 0, notrigger: options.notrigger ?? 0 },
      expect: `the validated invoice ${invoiceId} as a JSON object`,
      decode: objectOf<Invoice>(),
    });
  }

  /** `GET /invoices/{id}`. */
  async get(invoiceId: number): Promise<Invoice> {
    return this.http.call({ method: 'GET', resource: `/invoices/${segment(invoiceId)}`, expect: `invoice ${invoiceId} as a JSON object`, decode: objectOf<Invoice>() });
  }
}
