import { deleted, newId, objectOf } from './decode';
import { segment } from './ids';
import { DolibarrTransport } from './transport';
import { Product, ProductInput, ProductUpdate } from './types';

/** `/products` (htdocs/product/class/api_products.class.php). */
export class ProductsApi {
  constructor(private readonly http: DolibarrTransport) {}

  /** `POST /products`; resolves to the new id. */
  async create(input: ProductInput): Promise<number> {
    return this.http.call({ method: 'POST', resource: '/products', body: input, expect: 'the new product id as a bare JSON number', decode: newId });
  }

  /** `GET /products/{id}`. */
  async get(id: number): Promise<Product> {
    return this.http.call({ method: 'GET', resource: `/products/${segment(id)}`, expect: `product ${id} as a JSON object`, decode: objectOf<Product>() });
  }

  /** `PUT /products/{id}` (e.g. a price change); resolves to the updated product. */
  async update(id: number, changes: ProductUpdate): Promise<Product> {
    return this.http.call({
      method: 'PUT',
      resource: `/products/${segment(id)}`,
      body: changes,
      expect: `the updated product ${id} as a JSON object`,
      decode: objectOf<Product>(),
    });
  }

  /** `DELETE /products/{id}`. */
  async delete(id: number): Promise<void> {
    return this.http.call({ method: 'DELETE', resource: `/products/${segment(id)}`, expect: `confirmation that product ${id} was deleted`, decode: deleted });
  }
}
