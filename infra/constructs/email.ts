/**
 * Approval emails through SES: the sender identity (a domain with Easy DKIM, or a single
 * address) and a configuration set that requires TLS, keeps reputation metrics and suppresses
 * bounced and complaining addresses. Verifying the identity and leaving the SES sandbox are
 * steps of docs/email.md; the DKIM records are created for you when a hosted zone is given.
 */
import { CfnOutput } from 'aws-cdk-lib';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import { emailAddressOf } from './functions.ts';

export interface ApprovalEmailProps {
  /** the sender, e.g. `jitvend <jitvend@example.com>` */
  from: string;
  /**
   * Which SES identity to create: the sender's `domain` (DKIM records in `hostedZone` when
   * given, else printed as outputs), the sender `address` (a verification email), or `none`
   * (the identity exists already, e.g. shared with other apps). @default 'domain'
   */
  identity?: 'domain' | 'address' | 'none';
  hostedZone?: route53.IPublicHostedZone;
}

export class ApprovalEmail extends Construct {
  readonly from: string;
  readonly configurationSet: ses.ConfigurationSet;
  readonly identity?: ses.EmailIdentity;

  constructor(scope: Construct, id: string, props: ApprovalEmailProps) {
    super(scope, id);
    this.from = props.from;
    const address = emailAddressOf(props.from);
    const domain = address.split('@')[1];
    if (!domain) throw new Error(`ApprovalEmail: from must be an email address, got "${props.from}"`);
    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
      reputationMetrics: true,
      sendingEnabled: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    const kind = props.identity ?? 'domain';
    if (kind === 'none') return;
    this.identity = new ses.EmailIdentity(this, 'Identity', {
      identity:
        kind === 'address'
          ? ses.Identity.email(address)
          : props.hostedZone
            ? ses.Identity.publicHostedZone(props.hostedZone)
            : ses.Identity.domain(domain),
      configurationSet: this.configurationSet,
      dkimSigning: kind === 'domain',
    });
    if (kind === 'domain' && !props.hostedZone) {
      // the three CNAME records that verify the domain (Easy DKIM)
      const records = [
        [this.identity.dkimDnsTokenName1, this.identity.dkimDnsTokenValue1],
        [this.identity.dkimDnsTokenName2, this.identity.dkimDnsTokenValue2],
        [this.identity.dkimDnsTokenName3, this.identity.dkimDnsTokenValue3],
      ] as const;
      records.forEach(([name, value], i) => {
        new CfnOutput(this, `DkimRecord${i + 1}`, {
          description: `SES DKIM CNAME ${i + 1} of ${domain}: name → value`,
          value: `${name} CNAME ${value}`,
        });
      });
    }
  }
}
