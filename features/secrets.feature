Feature: Keeping production's secrets out of the sandbox
  Production's Dolibarr keeps secrets among its data: its users' API keys and password hashes, and settings
  holding the mail server's password, the payment provider's secret keys and the tokens of connected
  services. The golden is a copy of that data, and the agent is handed the sandbox made from it. A product
  owner needs to know that the agent finds none of production's secrets there, that nothing else was lost
  on the way, and that a golden nobody scrubbed is never handed to the live sandbox.

  The role that copies production may only read it, so the secrets cannot be removed while copying. They
  are blanked in the sandbox, in the same step that restores the copy, and the result becomes the golden.

  Rule: The golden carries none of production's secrets
    Checked on the golden itself, restored as it is: the agent's own user and key are added only after
    every reset, and would otherwise be the only key in sight.

    Scenario: No user in the golden holds a password or an API key
      Given the golden checkpoint was taken from production
      When the golden is restored on its own, before the agent's user is added
      Then no user holds an API key, a password, a password hash or a temporary password

    Scenario: No setting in the golden holds a password, a key, a secret or a token
      Given the golden checkpoint was taken from production
      When the golden is restored on its own, before the agent's user is added
      Then no setting holds a password, a key, a secret, a token or a salt

    @fixture
    Scenario: Production's secret settings are blank in the golden, its other settings are kept
      Given the golden checkpoint was taken from production
      When the golden is restored on its own, before the agent's user is added
      Then these settings read:
        | setting                | value                             |
        | MAIN_INFO_SOCIETE_NOM  | Atelier Dupré & Associés          |
        | MAIN_MAIL_SMTP_SERVER  | smtp.atelier-dupre.example        |
        | MAIN_MAIL_SMTPS_ID     | facturation@atelier-dupre.example |
        | MAIN_MODULE_STRIPE     | 1                                 |
        | MAIN_MAIL_SMTPS_PW     |                                   |
        | STRIPE_LIVE_SECRET_KEY |                                   |
        | OAUTH_GOOGLE_SECRET    |                                   |
        | CRON_KEY               |                                   |

  Rule: Blanking the secrets loses nothing else
    Every user stays, without a password, so that every invoice, contact and event still points at the
    person who made it; every other setting stays, so the sandbox's Dolibarr works as production's does.

    @needs-manifest
    Scenario: The golden keeps every row of production, and differs from it by the secrets alone
      Given the golden checkpoint was taken from production
      Then the golden holds as many rows as production did, in every application table
      And the golden differs from production only in the tables whose secrets were blanked

    @needs-production @seeded-in-this-run
    Scenario: Every setting that is not a secret is exactly production's
      Given the golden checkpoint was taken from production
      When the golden is restored on its own, before the agent's user is added
      Then every setting that holds no secret reads as in production

    Scenario: After a reset the agent's key is the only key in the sandbox
      When the sandbox is reset to the golden
      Then the agent's user is there: active, not an administrator, holding the sandbox key
      And no other user holds an API key or a password

  Rule: Anyone can tell the golden was scrubbed, and production is still checked against itself

    @needs-manifest
    Scenario: The manifest records the scrub and keeps production's own fingerprints
      Given the golden checkpoint was taken from production
      Then the golden's manifest records the scrub: the rules applied, when, and how many secrets each blanked
      And the golden's manifest keeps production's own fingerprints, taken before the scrub, beside the golden's

    @needs-production @seeded-in-this-run
    Scenario: Production, secrets included, still matches the fingerprints the manifest kept for it
      Given the golden checkpoint was taken from production
      Then production still matches the fingerprints the manifest kept for it, secrets included

  Rule: The live sandbox is only ever given a scrubbed golden

    @needs-manifest
    Scenario: A golden whose manifest does not record a scrub is refused
      Given a copy of the golden whose manifest does not record a scrub
      When the live sandbox is asked to use that golden
      Then it is refused because it may carry production's secrets, with the way to get a scrubbed one

    @needs-manifest
    Scenario: This run's golden is accepted as scrubbed
      When the live sandbox is asked to use this run's golden
      Then it is accepted as scrubbed
