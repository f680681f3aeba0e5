/**
 * Deliberately broken job planes. The job-plane simulation must find a violation in each; if it
 * ever stops doing so, its checker has gone blind. Each breaks one rule through one explicit
 * flag (JobDriverOptions.broken, read in one place) or a commander setting, never a copy of
 * product code.
 */
import { CORRECT_PLANE, type JobSimVariant } from "./job-sim.ts";

/** A call that has its result takes a later one too (a late attempt, a backup): one-result-per-call. */
export const ACCEPTS_SECOND_RESULT: JobSimVariant = { name: "accepts-second-result", broken: { acceptSecondResult: true } };

/** A commander that takes over never arms the deadlines of the calls it inherited: a hung runner's call waits for ever. */
export const FORGETS_DEADLINES_ON_TAKEOVER: JobSimVariant = { name: "forgets-deadlines-on-takeover", broken: { forgetDeadlinesOnTakeover: true } };

/** Commanders that remember no applied ids (dedupe window 0): a decision chosen twice is applied twice. */
export const APPLIES_DECISION_TWICE: JobSimVariant = { name: "applies-decision-twice", dedupeWindow: 0 };

/** The leader applies a new job and answers its submit before the log chose it. */
export const ANSWERS_SUBMIT_BEFORE_CHOSEN: JobSimVariant = { name: "answers-submit-before-chosen", broken: { answerSubmitBeforeChosen: true } };

export const BROKEN_PLANES: readonly JobSimVariant[] = [ACCEPTS_SECOND_RESULT, FORGETS_DEADLINES_ON_TAKEOVER, APPLIES_DECISION_TWICE, ANSWERS_SUBMIT_BEFORE_CHOSEN];

export const JOB_VARIANTS: Readonly<Record<string, JobSimVariant>> = Object.fromEntries([CORRECT_PLANE, ...BROKEN_PLANES].map((v) => [v.name, v]));
