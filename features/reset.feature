Feature: Resetting the sandbox to the golden checkpoint
  Before every scenario, and whenever an agent's session is over, the sandbox goes back to the golden.
  A reset must undo anything that was done in the sandbox, need no more rights than the sandbox's own,
  leave the platform's objects alone, and never leave the sandbox half-restored: a sandbox without its
  keys would still count its rows correctly and silently accept wrong data.

  Rule: A reset undoes everything that was done in the sandbox

    Scenario: Every application table is as in the golden after a reset
      When the sandbox is reset to the golden
      Then every application table holds exactly the golden's rows
      And every application table has the golden's columns, keys, indexes and triggers

    Scenario Outline: A reset undoes what someone <change>
      Given someone <change> in the sandbox
      When the sandbox is reset to the golden
      Then the change is undone: the sandbox matches the baseline again

      Examples: Changes to the data
        | change                                                                            |
        | added a customer                                                                  |
        | changed a product's price                                                         |
        | deleted an invoice line                                                           |
        | added a customer, changed a customer's name, deleted a contact and deleted an invoice line |
        | drew invoice numbers without using them                                           |

      Examples: Changes to the structure
        | change                           |
        | dropped the invoice lines table  |
        | added a table of its own         |

    Scenario: Resetting twice gives the same sandbox
      When the sandbox is reset to the golden
      And the sandbox is reset to the golden again
      Then both resets left the sandbox in the same state, matching the baseline

  Rule: A reset leaves the platform's objects alone and needs no more than the sandbox's own rights

    Scenario: The connection pooler's lookup function survives a reset
      When the sandbox is reset to the golden
      Then the connection pooler's lookup function is still there, owned by the provisioner and untouched

    Scenario: A reset needs no superuser and no right to create databases
      When the sandbox is reset to the golden
      Then the reset ran as a login with no superuser, no CREATEDB and no CREATEROLE, that owns nothing

    @needs-server-log
    Scenario: The server's own log shows that only the runtime login took part in a reset
      When the sandbox is reset to the golden
      Then every connection the reset opened was made by that login, as the server logged it

  Rule: A reset that fails changes nothing

    @needs-manifest
    Scenario Outline: A damaged golden leaves the sandbox exactly as it was
      Given someone added a customer in the sandbox
      And a golden <damage>
      When the sandbox is reset to that golden
      Then the reset fails, saying "<message>"
      And the sandbox is exactly as it was before the reset

      Examples: Damage caught before anything is touched
        | damage                                   | message                     |
        | that was cut short                       | does not match its manifest |
        | whose manifest records another checksum  | does not match its manifest |

    @needs-provisioner @needs-production
    Scenario: A golden that fails to restore near its end is rolled back whole
      Given someone added a customer in the sandbox
      And a golden that matches its manifest but fails to restore near its end
      When the sandbox is reset to that golden
      Then the reset fails, saying "llx_restore_breaker"
      And the sandbox is exactly as it was before the reset
