import { deleted, newId, objectOf } from './decode';
import { segment } from './ids';
import { DolibarrTransport } from './transport';
import { ThirdParty, ThirdPartyInput, ThirdPartyUpdate } from './types';

/** `/thirdparties` (htdocs/societe/class/api_thirdparties.class.php). */
export class ThirdPartiesApi {
  constructor(private readonly http: DolibarrTransport) {}

  /** `POST /thirdparties`; resolves to the new id. */
  async create(input: ThirdPartyInput): Promise<number> {
    return this.http.call({ method: 'POST', resource: '/thirdparties', body: input, expect: 'the new third party id as a bare JSON number', decode: newId });
  }

  /** `GET /thirdparties/{id}`. */
  async get(id: number): Promise<ThirdParty> {
    return this.http.call({ method: 'GET', resource: `/thirdparties/${segment(id)}`, expect: `third party ${id} as a JSON object`, decode: objectOf<ThirdParty>() });
  }

  /** `PUT /thirdparties/{id}`; resolves to the updated third party. */
  async update(id: number, changes: ThirdPartyUpdate): Promise<ThirdParty> {
    return this.http.call({
      method: 'PUT',
      resource: `/thirdparties/${segment(id)}`,
      body: changes,
      expect: `the updated third party ${id} as a JSON object`,
      decode: objectOf<ThirdParty>(),
    });
  }

  /** `DELETE /thirdparties/{id}`. */
  async delete(id: number): Promise<void> {
    return this.http.call({ method: 'DELETE', resource: `/thirdparties/${segment(id)}`, expect: `confirmation that third party ${id} was deleted`, decode: deleted });
  }
}

