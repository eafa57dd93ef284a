import { Migration } from '@mikro-orm/migrations';

/**
 * Coupons and tax rates as catalog resources, and the discount, tax rates and fees a subscription's
 * period invoices carry. Percentages are integer millionths (20 % = 200000), amounts bigint minor units.
 * The checks are the last line of defence behind the API: a coupon is a percentage or an amount (with
 * its currency), never both, and is never redeemed more often than `max_redemptions` allows.
 */
export class Migration20261122150000_coupons_tax_rates extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table coupons (
        id text primary key,
        name text not null,
        percent_off_ppm integer check (percent_off_ppm > 0 and percent_off_ppm <= 1000000),
        amount_off bigint check (amount_off > 0),
        currency char(3),
        duration text not null check (duration in ('once', 'repeating', 'forever')),
        duration_in_periods integer check (duration_in_periods > 0),
        max_redemptions integer check (max_redemptions > 0),
        times_redeemed integer not null default 0,
        redeem_by timestamptz,
        metadata jsonb not null default '{}',
        deleted_at timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        check ((percent_off_ppm is null) <> (amount_off is null)),
        check ((amount_off is null) = (currency is null)),
        check ((duration = 'repeating') = (duration_in_periods is not null)),
        check (times_redeemed >= 0 and (max_redemptions is null or times_redeemed <= max_redemptions))
      );

      create table tax_rates (
        id text primary key,
        display_name text not null,
        description text,
        percentage_ppm integer not null check (percentage_ppm >= 0 and percentage_ppm <= 1000000),
        inclusive boolean not null,
        active boolean not null default true,
        jurisdiction text,
        country char(2),
        metadata jsonb not null default '{}',
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );
      create index tax_rates_active_idx on tax_rates (active, id);

      -- The discount counts from period discount_start_period (the next period to bill when it was applied).
      alter table subscriptions
        add column coupon_id text references coupons (id),
        add column discount_start_period integer check (discount_start_period >= 0),
        add column discount_applied_at timestamptz,
        add column default_tax_rate_ids jsonb not null default '[]',
        add column fees jsonb not null default '[]',
        add constraint subscriptions_discount_check
          check ((coupon_id is null) = (discount_start_period is null) and (coupon_id is null) = (discount_applied_at is null));
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      alter table subscriptions
        drop constraint if exists subscriptions_discount_check,
        drop column if exists coupon_id,
        drop column if exists discount_start_period,
        drop column if exists discount_applied_at,
        drop column if exists default_tax_rate_ids,
        drop column if exists fees;
      drop table if exists tax_rates, coupons;
    `);
  }
}
