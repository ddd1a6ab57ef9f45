Feature: Seeding the golden checkpoint from production
  Every sandbox session starts from the golden: a copy of production's Dolibarr data, taken by a role that
  can only read production. Before an agent is let loose on the sandbox, a product owner needs to know
  that the golden holds the application and nothing of the platform around it, that anyone can tell
  where it came from and check it is intact, and that it restores cleanly into an empty sandbox.

  Rule: The golden holds Dolibarr's application, and nothing of the platform around it

    @needs-production @seeded-in-this-run
    Scenario: The golden holds every application table of production, with all its rows
      Given the golden checkpoint was taken from production
      Then the golden holds every application table production has, with the same rows
      And the golden holds every function the application tables' triggers call

    @fixture
    Scenario: The golden holds Dolibarr's helper functions
      Given the golden checkpoint was taken from production
      Then the golden holds these helper functions:
        | function                        |
        | update_modified_column_tms()    |
        | unix_timestamp(timestamp without time zone) |
        | dol_util_rebuild_sequences()    |

    @fixture
    Scenario: The golden holds the production fixture's application tables
      Given the golden checkpoint was taken from production
      Then the golden's application tables are:
        | table             | rows |
        | llx_actioncomm    |   76 |
        | llx_c_country     |   12 |
        | llx_c_tva         |   29 |
        | llx_const         |   42 |
        | llx_ecm_files     |   43 |
        | llx_entrepot      |    2 |
        | llx_facture       |   50 |
        | llx_facturedet    |  150 |
        | llx_product       |   40 |
        | llx_product_price |   80 |
        | llx_product_stock |   42 |
        | llx_projet        |    3 |
        | llx_societe       |   30 |
        | llx_socpeople     |   60 |
        | llx_user          |    6 |

    Scenario: The golden leaves out the connection pooler, the owners and the grants
      Given the golden checkpoint was taken from production
      Then the golden holds nothing of the connection pooler
      And the golden carries no grants, and restoring it makes the sandbox owner the owner of everything

  Rule: Anyone can tell where the golden came from and check that it is intact

    @needs-manifest
    Scenario: The manifest says who took the golden, from where and when, and what it holds
      Given the golden checkpoint was taken from production
      Then the golden's manifest names the read-only role that took it, the production database and when
      And the golden's manifest records each application table with its row count and a fingerprint
      And the golden matches the checksum in its manifest

    Scenario: A golden without a manifest is refused
      Given a copy of the golden without its manifest
      When the harness is asked to use that golden
      Then it is refused because it has no manifest, with the way to accept it anyway

    Scenario: A golden without a manifest can be accepted on purpose, and is then marked unverified
      Given a copy of the golden without its manifest
      When the harness is asked to use that golden, accepting it unverified
      Then it is accepted and marked as unverified

    Scenario: A golden taken by a newer PostgreSQL than the tools can read is refused, naming both versions
      Given a copy of the golden as PostgreSQL 17 would have written it
      When the harness is asked to use that golden
      Then it is refused, naming PostgreSQL 17 and the version of the available tools

  Rule: The golden restores cleanly into an empty sandbox

    Scenario: Restoring the golden into an emptied sandbox
      Given the sandbox was emptied of every application object
      When the sandbox is reset to the golden
      Then every application table holds exactly the golden's rows
      And every application table has the golden's columns, keys, indexes and triggers
