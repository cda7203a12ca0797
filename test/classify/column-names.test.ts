import { hintFromName } from '../../gateway-image/src/classify/column-names';
import { createColumnDetector } from '../../gateway-image/src/classify/detected';

describe('column-name hints for Safe Harbor identifiers', () => {
  it.each([
    ['zip', 'character', 'ADDRESS'],
    ['postal_code', 'text', 'ADDRESS'],
    ['city', 'text', 'ADDRESS'],
    ['home_address2', 'text', 'ADDRESS'],
    ['admitted_at', 'timestamp with time zone', 'custom:DATE'],
    ['discharge_date', 'date', 'custom:DATE'],
    ['date_of_death', 'date', 'custom:DATE'],
    ['seen', 'date', 'custom:DATE'],
    ['fax_number', 'text', 'PHONE'],
    ['member_id', 'text', 'custom:HEALTH_PLAN'],
    ['device_serial', 'text', 'custom:DEVICE'],
    ['vin', 'text', 'custom:VEHICLE'],
    ['ip_address', 'inet', 'custom:IP'],
    ['last_name', 'text', 'NAME'],
    ['email_address', 'text', 'EMAIL'],
  ])('%s (%s) → %s', (column, type, entity) => {
    expect(hintFromName(column, type)?.entity).toBe(entity);
  });

  it.each([
    ['state', 'character'],
    ['sex', 'character'],
    ['created_at', 'timestamp with time zone'],
    ['encounter', 'integer'],
    ['department', 'text'],
    ['card_brand', 'text'],
    ['amount_cents', 'integer'],
  ])('leaves %s (%s) alone', (column, type) => {
    expect(hintFromName(column, type)).toBeUndefined();
  });
});

describe('detectors over sampled values', () => {
  const detect = createColumnDetector();

  it('names the entity most values hold, with counts only', () => {
    const values = ['123-45-6789', '234-56-7890', '345-67-8901', null, 'n/a'];
    expect(detect(values)).toEqual({ entity: 'SSN', hits: 3, sampled: 4 });
  });

  it('calls long text full of identifiers NOTE', () => {
    const note = (n: number) =>
      `Seen today; SSN 123-45-67${n}0 confirmed by phone 503-555-01${n}1, follow up next week.`;
    expect(detect([note(1), note(2), note(3)])?.entity).toBe('NOTE');
  });

  it('ignores a chance hit among ordinary values', () => {
    expect(detect(['visa', 'mastercard', '4111111111111111', 'amex', 'visa', 'visa'])).toBeUndefined();
  });
});
