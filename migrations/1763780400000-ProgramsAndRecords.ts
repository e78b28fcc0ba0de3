import { MigrationInterface, QueryRunner } from 'typeorm';

interface CatalogRow {
  code: string;
  name: string;
  family: string;
  doseKind: 'hold' | 'reps' | 'duration' | 'steps';
  defaultDose: Record<string, number>;
  progression: string;
  instructions: string;
  sources: string[];
}

// The catalog as first seeded (clinical-rules §1). Later changes come as new migrations.
const CATALOG: CatalogRow[] = [
  {
    code: 'prone_lying',
    name: 'Rest lying on the stomach',
    family: 'extension',
    doseKind: 'duration',
    defaultDose: { durationMinutes: 2, timesPerDay: 6 },
    progression: 'None: a starting position before the press-ups.',
    instructions:
      'Lie face down with your arms by your sides and your head turned to one side. Let the muscles of your lower back go loose and stay there for about two minutes.',
    sources: ['001'],
  },
  {
    code: 'prone_press_up',
    name: 'Press-up on elbows (prone extension)',
    family: 'extension',
    doseKind: 'hold',
    defaultDose: { holdSeconds: 5, holdGoalSeconds: 30, reps: 10, timesPerDay: 8 },
    progression:
      'Hold 5 s, adding about 5 s at a time up to 30 s; some programs go to 2 min with 2–4 repetitions.',
    instructions:
      'Lying on your stomach, prop yourself up on your elbows with your hips staying on the floor. Keep your back and buttocks relaxed while it arches. Hold, then lower down. Repeat about every two hours through the day.',
    sources: ['000', '001'],
  },
  {
    code: 'full_press_up',
    name: 'Press-up on hands, pelvis down',
    family: 'extension',
    doseKind: 'hold',
    defaultDose: { holdSeconds: 1, holdGoalSeconds: 5, reps: 10, timesPerDay: 6 },
    progression: 'Hold 1 s up to 5 s; rise a little higher each time.',
    instructions:
      'From lying on your stomach, straighten your arms to push your chest up while your pelvis stays on the floor. Let your lower back sag and stay relaxed, hold briefly and come back down.',
    sources: ['000', '001'],
  },
  {
    code: 'standing_extension',
    name: 'Standing backward bend',
    family: 'extension',
    doseKind: 'hold',
    defaultDose: { holdSeconds: 2, holdGoalSeconds: 30, reps: 10, timesPerDay: 6 },
    progression: 'Hold 2–5 s, working up to 30 s.',
    instructions:
      'Stand with feet hip-width apart and your hands on your hips or the small of your back. Lean backward only as far as feels comfortable and safe, hold, and return to upright.',
    sources: ['000', '001'],
  },
  {
    code: 'upper_back_extension',
    name: 'Prone upper-back extension',
    family: 'strengthening_back',
    doseKind: 'hold',
    defaultDose: { holdSeconds: 5, holdGoalSeconds: 20, reps: 8, repsGoal: 10, daysPerWeek: 3 },
    progression: 'Hold 5 s up to 20 s, 8–10 repetitions.',
    instructions:
      'Lie face down with your hands clasped behind your lower back. Looking at the floor, lift your head and chest just a little, hold, and lower slowly.',
    sources: ['000'],
  },
  {
    code: 'prone_arm_leg_lift',
    name: 'Prone opposite arm and leg lift',
    family: 'strengthening_back',
    doseKind: 'hold',
    defaultDose: { holdSeconds: 5, holdGoalSeconds: 20, reps: 8, repsGoal: 10, daysPerWeek: 3 },
    progression: 'Hold 5 s up to 20 s, 8–10 repetitions.',
    instructions:
      'Lying face down, slowly raise one arm and the opposite straight leg a few centimetres off the floor, hold, lower, and switch sides.',
    sources: ['000'],
  },
  {
    code: 'curl_up',
    name: 'Curl-up',
    family: 'strengthening_abdominal',
    doseKind: 'hold',
    defaultDose: { holdSeconds: 2, holdGoalSeconds: 4, sets: 2, reps: 10, daysPerWeek: 3 },
    progression: 'Hold 2–4 s, building to 2 sets of 10.',
    instructions:
      'Lie on your back with knees bent and arms crossed on your chest, flatten your lower back against the floor, then lift only your head and shoulders, hold, and lower slowly.',
    sources: ['000'],
  },
  {
    code: 'single_leg_raise',
    name: 'Straight single-leg raise',
    family: 'strengthening_abdominal',
    doseKind: 'hold',
    defaultDose: { holdSeconds: 8, holdGoalSeconds: 10, sets: 2, reps: 10, daysPerWeek: 3 },
    progression: 'Hold 8–10 s, building to 2 sets of 10.',
    instructions:
      'Lying on your back, tighten your lower stomach and keep your lower back flat while you lift one straight leg a short way off the floor. Hold, then lower it slowly.',
    sources: ['000'],
  },
  {
    code: 'bird_dog',
    name: 'Bird dog',
    family: 'stabilization',
    doseKind: 'reps',
    defaultDose: { reps: 10, daysPerWeek: 3 },
    progression: 'Alternate sides; the plank bird dog is the advanced form.',
    instructions:
      'On hands and knees, reach one arm forward and the opposite leg back while keeping your back level, return, and alternate sides.',
    sources: ['002'],
  },
  {
    code: 'knee_to_chest',
    name: 'Knee-to-chest stretch',
    family: 'stretching',
    doseKind: 'hold',
    defaultDose: { holdSeconds: 20, holdGoalSeconds: 30, reps: 2, repsGoal: 4, timesPerDay: 1 },
    progression: 'Hold up to 30 s, 2–4 times each side.',
    instructions:
      'Lie on your back with knees bent. Draw one knee toward your chest while the other foot stays on the floor and your lower back stays down, hold, then change sides.',
    sources: ['003'],
  },
  {
    code: 'standing_hamstring_stretch',
    name: 'Standing hamstring stretch',
    family: 'stretching',
    doseKind: 'hold',
    defaultDose: { holdSeconds: 20, holdGoalSeconds: 30, reps: 2, repsGoal: 3, timesPerDay: 1 },
    progression: 'Hold 20–30 s, 2–3 times each leg.',
    instructions:
      'Rest one heel on a low step with that leg straight and toes up. Keeping your back straight, lean forward slightly until you feel the back of the thigh stretch; hold and breathe, then change legs. Hold on to something if you need to.',
    sources: ['003'],
  },
  {
    code: 'pelvic_tilt',
    name: 'Pelvic tilt',
    family: 'stabilization',
    doseKind: 'reps',
    defaultDose: { reps: 8, repsGoal: 12, timesPerDay: 1 },
    progression: '8 up to 12 repetitions.',
    instructions:
      'Lying on your back with knees bent, tighten your stomach muscles and press your lower back into the floor so the pelvis rocks slightly up. Hold a few seconds and let go.',
    sources: ['003'],
  },
  {
    code: 'glute_bridge',
    name: 'Glute bridge',
    family: 'strengthening_gluteal',
    doseKind: 'reps',
    defaultDose: { sets: 2, reps: 8, repsGoal: 10, daysPerWeek: 3 },
    progression: '2–3 sets of 8–10.',
    instructions:
      'Lie on your back, knees bent and feet apart. Push through your heels to lift your hips until knees, hips and shoulders line up, hold briefly, and lower slowly without arching your back.',
    sources: ['003'],
  },
  {
    code: 'deep_gluteal_stretch',
    name: 'Lying deep gluteal (figure-4) stretch',
    family: 'stretching',
    doseKind: 'hold',
    defaultDose: { holdSeconds: 20, holdGoalSeconds: 30, reps: 2, repsGoal: 3, timesPerDay: 1 },
    progression: 'Hold 20–30 s, 2–3 times each leg.',
    instructions:
      'On your back with knees bent, rest one ankle across the other knee, then gently pull the supporting thigh toward you (a towel helps if you cannot reach). Hold, then change legs.',
    sources: ['003'],
  },
  {
    code: 'lumbar_stabilization',
    name: 'Deep stabilizer session (transversus abdominis, multifidus)',
    family: 'stabilization',
    doseKind: 'duration',
    defaultDose: { durationMinutes: 30, daysPerWeek: 2 },
    progression: '30 min, 2–3 times a week, for at least 4–8 weeks.',
    instructions:
      'A guided session of gentle deep-core activation: draw the lower stomach in and keep the small back muscles engaged while you breathe and move slowly, as your clinician showed you.',
    sources: ['004'],
  },
  {
    code: 'walking',
    name: 'Walking',
    family: 'aerobic',
    doseKind: 'steps',
    defaultDose: { timesPerDay: 1 },
    progression: 'A daily step or minute goal, raised gradually.',
    instructions:
      'Walk every day at a comfortable pace. Several short walks count as much as one long one.',
    sources: ['002'],
  },
  {
    code: 'water_walking',
    name: 'Water walking or pool therapy',
    family: 'aerobic',
    doseKind: 'duration',
    defaultDose: { durationMinutes: 20, daysPerWeek: 2 },
    progression: 'Minutes, raised gradually.',
    instructions:
      'Walk in waist-deep water, or follow your pool-therapy plan; the water supports your weight while your core works.',
    sources: ['000', '002'],
  },
  {
    code: 'swimming',
    name: 'Swimming',
    family: 'aerobic',
    doseKind: 'duration',
    defaultDose: { durationMinutes: 20, daysPerWeek: 2 },
    progression: 'Minutes, raised gradually.',
    instructions: 'Swim at an easy pace with a stroke that does not bring back your leg pain.',
    sources: ['002'],
  },
];

/**
 * The exercise catalog, programs (versioned prescriptions), session logs, pain reports, the
 * findings of the rules, and stored Idempotency-Key answers.
 */
export class ProgramsAndRecords1763780400000 implements MigrationInterface {
  name = 'ProgramsAndRecords1763780400000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE exercises (
        code text PRIMARY KEY,
        name text NOT NULL,
        family text NOT NULL CHECK (family IN ('extension','strengthening_back','strengthening_abdominal','strengthening_gluteal','stabilization','stretching','aerobic')),
        dose_kind text NOT NULL CHECK (dose_kind IN ('hold','reps','duration','steps')),
        default_dose jsonb NOT NULL,
        progression text NOT NULL,
        instructions text NOT NULL,
        sources text[] NOT NULL,
        sort_order smallint NOT NULL
      )`);
    for (const [i, e] of CATALOG.entries()) {
      await q.query(
        `INSERT INTO exercises (code, name, family, dose_kind, default_dose, progression, instructions, sources, sort_order)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          e.code,
          e.name,
          e.family,
          e.doseKind,
          JSON.stringify(e.defaultDose),
          e.progression,
          e.instructions,
          e.sources,
          i + 1,
        ],
      );
    }

    await q.query(`
      CREATE TABLE programs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL,
        patient_id uuid NOT NULL,
        version integer NOT NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active','paused','suspended','completed')),
        status_reason text,
        status_changed_at timestamptz NOT NULL DEFAULT now(),
        start_date date NOT NULL,
        walking_goal_daily_steps integer CHECK (walking_goal_daily_steps BETWEEN 100 AND 50000),
        rest_gap_days smallint NOT NULL DEFAULT 2 CHECK (rest_gap_days BETWEEN 1 AND 14),
        supersedes_program_id uuid REFERENCES programs(id),
        superseded_at timestamptz,
        created_by_key_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (organization_id, id),
        UNIQUE (organization_id, patient_id, version),
        FOREIGN KEY (organization_id, patient_id) REFERENCES patients (organization_id, id) ON DELETE CASCADE
      )`);
    // One current prescription per patient; superseded versions are kept.
    await q.query(
      `CREATE UNIQUE INDEX programs_current_uq ON programs (organization_id, patient_id) WHERE superseded_at IS NULL`,
    );

    await q.query(`
      CREATE TABLE program_items (
        organization_id uuid NOT NULL,
        program_id uuid NOT NULL,
        position smallint NOT NULL,
        exercise_code text NOT NULL REFERENCES exercises(code),
        sets smallint,
        reps smallint,
        reps_goal smallint,
        hold_seconds smallint,
        hold_goal_seconds smallint,
        duration_minutes smallint,
        times_per_day smallint,
        days_per_week smallint,
        PRIMARY KEY (organization_id, program_id, position),
        UNIQUE (program_id, exercise_code),
        FOREIGN KEY (organization_id, program_id) REFERENCES programs (organization_id, id) ON DELETE CASCADE,
        CHECK (times_per_day IS NULL OR days_per_week IS NULL)
      )`);

    await q.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL,
        patient_id uuid NOT NULL,
        program_id uuid,
        client_ref text NOT NULL,
        request_hash bytea NOT NULL,
        performed_at timestamptz NOT NULL,
        local_date date NOT NULL,
        duration_minutes smallint,
        items jsonb NOT NULL,
        created_by_key_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (organization_id, id),
        UNIQUE (organization_id, patient_id, client_ref),
        FOREIGN KEY (organization_id, patient_id) REFERENCES patients (organization_id, id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX sessions_patient_time_idx ON sessions (organization_id, patient_id, performed_at)`,
    );

    await q.query(`
      CREATE TABLE pain_reports (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL,
        patient_id uuid NOT NULL,
        client_ref text,
        request_hash bytea,
        session_id uuid,
        reported_at timestamptz NOT NULL,
        local_date date NOT NULL,
        intensity smallint NOT NULL CHECK (intensity BETWEEN 0 AND 10),
        most_distal_site text NOT NULL CHECK (most_distal_site IN ('none','low_back','buttock','thigh','calf','foot')),
        side text CHECK (side IN ('left','right','both')),
        context text NOT NULL CHECK (context IN ('baseline','before_session','after_session','next_day')),
        red_flags jsonb,
        odi smallint CHECK (odi BETWEEN 0 AND 100),
        created_by_key_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (organization_id, id),
        UNIQUE (organization_id, patient_id, client_ref),
        FOREIGN KEY (organization_id, patient_id) REFERENCES patients (organization_id, id) ON DELETE CASCADE,
        FOREIGN KEY (organization_id, session_id) REFERENCES sessions (organization_id, id) ON DELETE CASCADE,
        CHECK ((session_id IS NULL) = (client_ref IS NOT NULL))
      )`);
    await q.query(
      `CREATE UNIQUE INDEX pain_reports_session_context_uq ON pain_reports (session_id, context) WHERE session_id IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX pain_reports_patient_time_idx ON pain_reports (organization_id, patient_id, reported_at)`,
    );

    await q.query(`
      CREATE TABLE findings (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL,
        patient_id uuid NOT NULL,
        rule text NOT NULL,
        severity text NOT NULL CHECK (severity IN ('urgent','warning','info','positive')),
        action text NOT NULL,
        program_effect text CHECK (program_effect IN ('pause','suspend')),
        evidence jsonb NOT NULL,
        pain_report_id uuid NOT NULL,
        session_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (organization_id, patient_id) REFERENCES patients (organization_id, id) ON DELETE CASCADE,
        FOREIGN KEY (organization_id, pain_report_id) REFERENCES pain_reports (organization_id, id) ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE INDEX findings_patient_idx ON findings (organization_id, patient_id, created_at)`,
    );
    await q.query(`CREATE INDEX findings_report_idx ON findings (pain_report_id)`);
    await q.query(
      `CREATE INDEX findings_session_idx ON findings (session_id) WHERE session_id IS NOT NULL`,
    );

    // The first answer to each Idempotency-Key, written in the same transaction as the record.
    await q.query(`
      CREATE TABLE idempotency_keys (
        scope text NOT NULL,
        key text NOT NULL,
        method text NOT NULL,
        path text NOT NULL,
        request_hash bytea NOT NULL,
        response_status smallint,
        -- json, not jsonb: a replay answers byte for byte, keys in their first order.
        response_body json,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, key)
      )`);
    await q.query(`CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_keys`);
    await q.query(`DROP TABLE findings`);
    await q.query(`DROP TABLE pain_reports`);
    await q.query(`DROP TABLE sessions`);
    await q.query(`DROP TABLE program_items`);
    await q.query(`DROP TABLE programs`);
    await q.query(`DROP TABLE exercises`);
  }
}
