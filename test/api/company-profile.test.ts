/** The company profile through the API, and the branding it puts on customer emails. */
import { deflateSync } from 'node:zlib';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { eventually } from '../support/eventually';
import { MAX_LOGO_BYTES } from '../../api/company-profile/schemas';
import type { ApiKeyRole } from '../../db/entities';
import { holdCompanyProfile, releaseCompanyProfile } from '../support/company-profile-lock';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApiHarness();
  // The profile is one row for every test file running beside this one (the checkout tests set their
  // own): this file's before/after comparisons and branded emails need it to change only here.
  await holdCompanyProfile(api.orm);
});
afterAll(async () => {
  await releaseCompanyProfile();
  await api?.close();
});

async function put(role: ApiKeyRole, body: unknown) {
  const response = await api.app.inject({
    method: 'PUT',
    url: '/v1/company-profile',
    headers: { authorization: `Bearer ${api.keys[role]}` },
    payload: body as object,
  });
  return { status: response.statusCode, body: JSON.parse(response.body) };
}

/** A valid 2×2 RGB PNG (CRCs are not checked by the decoder, so zeros do). */
function tinyPng(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    return Buffer.concat([length, Buffer.from(type, 'ascii'), data, Buffer.alloc(4)]);
  };
  const header = Buffer.from([0, 0, 0, 2, 0, 0, 0, 2, 8, 2, 0, 0, 0]);
  const pixels = Buffer.from([0, 15, 118, 110, 15, 118, 110, 0, 15, 118, 110, 15, 118, 110]);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(pixels)), chunk('IEND', Buffer.alloc(0))]);
}

const logo = `data:image/png;base64,${tinyPng().toString('base64')}`;

const profile = {
  legal_name: 'Northwind Analytics Ltd',
  display_name: 'Northwind',
  brand_color: '#0f766e',
  logo,
  address: { line1: '12 Harbour Street', city: 'Bristol', postal_code: 'BS1 4RN', country: 'GB' },
  tax_id: 'GB123456789',
  contact_email: 'accounts@northwind.example',
  contact_phone: '+44 117 496 0000',
  website: 'northwind.example',
  invoice_footer: 'Registered in England and Wales, company number 01234567.',
  show_contact: false,
};

describe('company profile', () => {
  test('a fresh install has a default profile every role can read', async () => {
    const res = await api.call('sales', 'GET', '/v1/company-profile');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ object: 'company_profile', brand_color: expect.stringMatching(/^#[0-9A-F]{6}$/), show_logo: true });
    expect(res.body.display_name.length).toBeGreaterThan(0);
    expect((await api.call('operator', 'GET', '/v1/company-profile')).status).toBe(200);
  });

  const refusals: [Record<string, unknown>, string, string][] = [
    [{ ...profile, brand_color: 'teal' }, 'brand_color', 'parameter_invalid'],
    [{ ...profile, brand_color: '#12345' }, 'brand_color', 'parameter_invalid'],
    [{ ...profile, legal_name: undefined }, 'legal_name', 'parameter_missing'],
    [{ ...profile, display_name: '   ' }, 'display_name', 'parameter_invalid'],
    [{ ...profile, contact_email: 'not-an-email' }, 'contact_email', 'parameter_invalid'],
    [{ ...profile, address: { country: 'gbr' } }, 'address[country]', 'parameter_invalid'],
    [{ ...profile, logo: 'https://example.com/logo.png' }, 'logo', 'parameter_invalid'],
    [{ ...profile, logo: '' }, 'logo', 'parameter_invalid'],
    [{ ...profile, tax_id: '' }, 'tax_id', 'parameter_invalid'],
    [{ ...profile, logo: 'data:image/gif;base64,R0lGODlhAQABAAAAACw=' }, 'logo', 'parameter_invalid'],
    // Declared PNG, but the bytes are a JPEG's start.
    [{ ...profile, logo: `data:image/png;base64,${Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]).toString('base64')}` }, 'logo', 'parameter_invalid'],
    // A PNG signature followed by nothing decodable.
    [{ ...profile, logo: `data:image/png;base64,${tinyPng().subarray(0, 30).toString('base64')}` }, 'logo', 'parameter_invalid'],
    [{ ...profile, logo: `data:image/png;base64,${Buffer.alloc(MAX_LOGO_BYTES + 3).toString('base64')}` }, 'logo', 'parameter_invalid'],
    // 30000×30000 pixels declared: refused before anything is inflated.
    [{ ...profile, logo: `data:image/png;base64,${Buffer.concat([tinyPng().subarray(0, 16), Buffer.from([0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30]), tinyPng().subarray(24)]).toString('base64')}` }, 'logo', 'parameter_invalid'],
    [{ ...profile, colour: '#000000' }, 'colour', 'parameter_unknown'],
  ];
  test.each(refusals.map(([body, param, code]) => [param, code, body] as const))('a bad %s is refused (%s) and changes nothing', async (param, code, body) => {
    const before = await api.call('admin', 'GET', '/v1/company-profile');
    const res = await put('admin', body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error', param, code });
    expect((await api.call('admin', 'GET', '/v1/company-profile')).body).toEqual(before.body);
  });

  test('only admins change it; a PUT replaces the whole profile', async () => {
    expect((await put('operator', profile)).status).toBe(403);
    expect((await put('sales', profile)).status).toBe(403);

    const saved = await put('admin', profile);
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({
      legal_name: 'Northwind Analytics Ltd',
      display_name: 'Northwind',
      brand_color: '#0F766E',
      logo,
      address: { line1: '12 Harbour Street', city: 'Bristol', postal_code: 'BS1 4RN', country: 'GB' },
      show_contact: false,
      show_tax_id: true,
    });
    expect((await api.call('sales', 'GET', '/v1/company-profile')).body).toEqual(saved.body);

    // What GET returns can be PUT back as it is (nulls included) and changes nothing.
    const { object: _object, updated_at: _updatedAt, ...asRead } = saved.body;
    const roundTrip = await put('admin', { ...asRead, tax_id: null, website: null });
    expect(roundTrip.status).toBe(200);
    expect(roundTrip.body).toEqual({ ...saved.body, tax_id: null, website: null, updated_at: roundTrip.body.updated_at });

    // Fields left out are cleared: the logo goes, the switches return to their defaults.
    const minimal = await put('admin', { legal_name: 'Northwind Analytics Ltd', display_name: 'Northwind', brand_color: '#0F766E' });
    expect(minimal.status).toBe(200);
    expect(minimal.body).toMatchObject({ logo: null, address: null, tax_id: null, invoice_footer: null, show_contact: true });
  });
});

describe('branded emails', () => {
  test('customer emails carry the logo, brand colour, address and footer; hidden fields stay out', async () => {
    expect((await put('admin', profile)).status).toBe(200);

    const ok = async (method: 'GET' | 'POST', url: string, body?: unknown) => {
      const res = await api.call('admin', method, url, body);
      expect({ url, status: res.status, body: res.status === 200 ? null : res.body }).toEqual({ url, status: 200, body: null });
      return res.body;
    };
    const customer = await ok('POST', '/v1/customers', {
      email: `branding-${Date.now()}@example.com`,
      name: 'Grace Hopper',
      currency: 'usd',
      default_payment_method: 'pm_card_visa',
    });
    const product = await ok('POST', '/v1/products', { name: 'Branding plan' });
    const price = await ok('POST', '/v1/prices', { product: product.id, currency: 'usd', unit_amount: 2900, recurring: { interval: 'month' } });
    await ok('POST', '/v1/subscriptions', { customer: customer.id, price: price.id });

    const receipt = await eventually(
      async () => {
        const emails = await ok('GET', `/v1/emails?customer=${customer.id}&kind=payment_receipt`);
        expect(emails.data).toHaveLength(1);
        return emails.data[0];
      },
      { timeoutMs: 60_000 },
    );
    expect(receipt.html).toContain(`<img src="${logo}"`);
    expect(receipt.html).toContain('border-top: 6px solid #0F766E');
    expect(receipt.html).toContain('Northwind Analytics Ltd');
    expect(receipt.html).toContain('12 Harbour Street, Bristol, BS1 4RN, United Kingdom');
    expect(receipt.html).toContain('Tax ID: GB123456789');
    expect(receipt.html).toContain('Registered in England and Wales, company number 01234567.');
    expect(receipt.html).not.toContain('accounts@northwind.example'); // show_contact: false
    expect(receipt.html).toContain('We received your payment of <strong>$29.00</strong>');
    expect(receipt.text).toContain('\n--\nNorthwind Analytics Ltd\n12 Harbour Street, Bristol, BS1 4RN, United Kingdom\n');
    expect(receipt.text).toContain('Registered in England and Wales, company number 01234567.');
  });
});
