/**
 * What every email approval channel does before handing a message to its transport (SES on
 * AWS, the outbox locally): for each approver with an email address, issue a personal
 * approval link (the issueApprovalLink use case) and compose the message with it. No AWS SDK here.
 */
import type { ApprovalTokenStore, Clock } from '../../domain/ports.ts';
import type { Person } from '../../domain/profile.ts';
import type { AccessRequest } from '../../domain/types.ts';
import { issueApprovalLink } from '../../domain/use-cases/issue-approval-link.ts';
import { type ApprovalEmail, composeApprovalEmail } from '../../web/approval-email.ts';

/** The key, or a way to get it once the runtime has loaded its secrets. */
export type ApprovalTokenKeySource = Uint8Array | (() => Uint8Array | Promise<Uint8Array>);

export interface ApprovalEmailDeps {
  /** the API's public base URL: links are `<publicUrl>/approvals/<token>` */
  publicUrl: string;
  store: Pick<ApprovalTokenStore, 'saveApprovalToken'>;
  clock: Clock;
  approvalTokenKey: ApprovalTokenKeySource;
  /** profile descriptions from the config, shown in the message */
  profileDescription?: (profile: string) => string | undefined;
}

export interface OutgoingApprovalEmail {
  person: string;
  to: string;
  requestId: string;
  /** the approver's personal link; only ever in the message itself, never in logs or summaries */
  link: string;
  message: ApprovalEmail;
}

/** Delivers one message; throws when it could not. */
export type EmailTransport = (email: OutgoingApprovalEmail) => Promise<void>;

/**
 * Sends the approval email to every approver with an address, each with a fresh token
 * (a restart that notifies again sends new links; older unused ones still work until the
 * deadline). Resolves with a summary for the audit trail (names only, no links, no
 * addresses); rejects only when no approver could be reached.
 */
export async function sendApprovalEmails(
  deps: ApprovalEmailDeps,
  request: AccessRequest,
  approvers: Person[],
  transport: EmailTransport,
): Promise<string> {
  const reachable = approvers.filter((p) => typeof p.email === 'string' && p.email !== '');
  const unreachable = approvers.filter((p) => !reachable.includes(p)).map((p) => p.name);
  const noEmail = unreachable.length > 0 ? `; no email address for ${unreachable.join(', ')}` : '';
  if (reachable.length === 0) return `not sent: no approver has an email address${noEmail}`;
  if (deps.clock.now().getTime() >= new Date(request.approvalDeadline).getTime()) {
    return 'not sent: the approval deadline has passed';
  }
  const key =
    typeof deps.approvalTokenKey === 'function' ? await deps.approvalTokenKey() : deps.approvalTokenKey;
  const description = deps.profileDescription?.(request.profile);

  const results = await Promise.allSettled(
    reachable.map(async (person) => {
      const link = await issueApprovalLink(
        { store: deps.store, publicUrl: deps.publicUrl, approvalTokenKey: key },
        request,
        person.name,
      );
      const message = composeApprovalEmail({
        request,
        person: person.name,
        link,
        ...(description ? { profileDescription: description } : {}),
      });
      await transport({ person: person.name, to: person.email!, requestId: request.id, link, message });
      return person.name;
    }),
  );
  const sent: string[] = [];
  const failed: string[] = [];
  results.forEach((result, i) => {
    const name = reachable[i]!.name;
    if (result.status === 'fulfilled') sent.push(name);
    else failed.push(`${name} (${errorName(result.reason)})`);
  });
  const failures = failed.length > 0 ? `; failed for ${failed.join(', ')}` : '';
  if (sent.length === 0) throw new Error(`no approval email could be sent${failures}${noEmail}`);
  return `sent to ${sent.join(', ')}${failures}${noEmail}`;
}

/** The error's name only: messages may echo input, and the summary goes to the audit trail. */
function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'error';
}
